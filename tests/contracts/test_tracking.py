"""The tracking timeline after signing: one step at a time, corrections with a reason, the customer
told of each step, the API and the owner's form, and the review request a day after delivery."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from contracts.milestones import DELIVERED
from contracts.models import Contract, ContractEvent, Milestone, PortalSettings
from contracts.services.events import Actor
from contracts.services.tracking import (
    contract_event_notify,
    contract_milestone_correct,
    contracts_review_request_due,
)
from inkwell.errors import Conflict
from tenants.models import Membership, OutboundMessage
from tests.conftest import client_for
from tests.contracts.conftest import CONTRACT_DATA

PHONE = CONTRACT_DATA["customer_phone"]


def staff(world):
    return Actor(type="owner", user=world.owner)


def sms_bodies():
    return list(
        OutboundMessage.objects.filter(channel="sms", to=PHONE).order_by("pk").values_list("body", flat=True)
    )


def test_signing_reaches_contract_signed_so_documents_come_next(alpha, signed, advance):
    contract = signed(alpha)
    with tenant_context(alpha.tenant):
        assert contract.milestone == 0
        assert list(Milestone.objects.filter(contract=contract).values_list("step", flat=True)) == [0]
        assert ContractEvent.objects.filter(contract=contract, kind="milestone", data__step=0).count() == 1
    milestone = advance(alpha, contract, "documents")
    assert milestone.step == 1


def test_one_step_forward_is_recorded_audited_and_told_to_the_customer(alpha, signed, advance):
    contract = signed(alpha)
    texts_before = len(sms_bodies())
    advance(alpha, contract, "documents", note="Title and ID received", eta=dt.date(2026, 3, 14))
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.milestone == 1
        event = ContractEvent.objects.filter(contract=contract, kind="milestone").latest("pk")
        assert event.data == {
            "step": 1,
            "key": "documents",
            "label": "Documents Submitted",
            "note": "Title and ID received",
            "eta": "2026-03-14",
        }
        assert event.actor_id == alpha.owner.pk
        told = ContractEvent.objects.get(contract=contract, kind="customer_notified")
        assert told.data == {"event": event.pk, "template": "milestone", "sms": "sent", "email": "sent"}
    texts = sms_bodies()
    assert len(texts) == texts_before + 1
    assert (
        "Documents Submitted" in texts[-1] and "Title and ID received" in texts[-1] and "Mar 14" in texts[-1]
    )
    assert mail.outbox[-1].subject == f"{contract.reference}: Documents Submitted"
    assert "Title and ID received" in mail.outbox[-1].body


def test_each_step_notifies_once_even_if_the_task_runs_twice(alpha, signed, advance):
    contract = signed(alpha)
    advance(alpha, contract, "documents")
    count = len(sms_bodies())
    with tenant_context(alpha.tenant):
        event = ContractEvent.objects.filter(contract=contract, kind="milestone").latest("pk")
        assert contract_event_notify(contract_id=contract.pk, event_id=event.pk) is False
    assert len(sms_bodies()) == count


def test_a_jump_is_a_conflict_naming_the_next_step_and_changes_nothing(alpha, signed, advance):
    contract = signed(alpha)
    with pytest.raises(Conflict) as raised:
        advance(alpha, contract, "pickup")
    assert raised.value.code == "illegal_milestone" and raised.value.status_code == 409
    assert "Documents Submitted" in raised.value.message
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.milestone == 0 and Milestone.objects.filter(contract=contract).count() == 1
    with pytest.raises(Conflict):
        advance(alpha, contract, "signed")  # not backwards either: that is a correction


def test_overseas_shipments_go_through_the_port(alpha, signed, advance):
    contract = signed(alpha)  # RoRo
    advance(alpha, contract, "documents")
    advance(alpha, contract, "pickup")
    with pytest.raises(Conflict) as raised:
        advance(alpha, contract, "transit")
    assert "At Port/Warehouse" in raised.value.message
    assert advance(alpha, contract, "port").step == 3


def test_domestic_moves_skip_port_vessel_and_customs(alpha, signed, advance):
    contract = signed(alpha, service_type="domestic_moving", destination="Vancouver, BC")
    for step in ["documents", "pickup"]:
        advance(alpha, contract, step)
    with pytest.raises(Conflict) as raised:
        advance(alpha, contract, "port")
    assert "In Transit" in raised.value.message
    advance(alpha, contract, "transit")
    with pytest.raises(Conflict):
        advance(alpha, contract, "arrived")
    with tenant_context(alpha.tenant), pytest.raises(Conflict):
        contract_milestone_correct(contract=contract, step="port", reason="typo", actor=staff(alpha))
    advance(alpha, contract, "delivered")
    with pytest.raises(Conflict) as raised:
        advance(alpha, contract, "delivered")
    assert "already delivered" in raised.value.message
    assert "(step 5 of 5)" in sms_bodies()[-1]


def test_tracking_starts_only_once_signed(alpha, make_contract, send, advance):
    contract = send(alpha, make_contract(alpha))
    with pytest.raises(Conflict) as raised:
        advance(alpha, contract, "signed")
    assert "once it is signed" in raised.value.message


def test_unknown_steps_are_a_field_error(alpha, signed, advance):
    contract = signed(alpha)
    with pytest.raises(ValidationError) as raised:
        advance(alpha, contract, "teleported")
    assert raised.value.error_dict["step"][0].code == "unknown_milestone"
    assert advance(alpha, contract, "1").step == 1  # an index works as well as a key


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_needs_a_reason(alpha, signed, advance, reason):
    contract = signed(alpha)
    advance(alpha, contract, "documents")
    with tenant_context(alpha.tenant):
        with pytest.raises(ValidationError) as raised:
            contract_milestone_correct(contract=contract, step="signed", reason=reason, actor=staff(alpha))
        assert raised.value.error_dict["reason"][0].code == "correction_needs_reason"
        contract.refresh_from_db()
        assert contract.milestone == 1


def test_a_correction_moves_back_is_audited_and_texts_nobody(alpha, signed, advance):
    contract = signed(alpha)
    advance(alpha, contract, "documents")
    advance(alpha, contract, "pickup")
    texts = len(sms_bodies())
    with tenant_context(alpha.tenant):
        with pytest.raises(Conflict):  # the current step is not "back"
            contract_milestone_correct(contract=contract, step="pickup", reason="typo", actor=staff(alpha))
        contract_milestone_correct(
            contract=contract, step="documents", reason="Pickup rescheduled", actor=staff(alpha)
        )
        contract.refresh_from_db()
        assert contract.milestone == 1
        event = ContractEvent.objects.filter(contract=contract).latest("pk")
        assert (event.kind, event.data["from"], event.data["reason"]) == (
            "milestone_corrected",
            2,
            "Pickup rescheduled",
        )
        assert (
            Milestone.objects.filter(contract=contract).latest("pk").correction_reason == "Pickup rescheduled"
        )
    assert len(sms_bodies()) == texts
    assert advance(alpha, contract, "pickup").step == 2  # and forward again from there


# --- API and the owner's form ---------------------------------------------------------------------


def test_api_moves_one_step_and_answers_409_naming_the_next(
    alpha, signed, django_capture_on_commit_callbacks
):
    contract = signed(alpha)
    api = client_for(alpha, alpha.member)
    url = f"/api/v1/contracts/{contract.pk}/milestones/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            url, {"step": "documents", "note": "All in", "eta": "2026-04-01"}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert response.json()["milestone"] | {"created": None} == {
        "step": "documents",
        "index": 1,
        "label": "Documents Submitted",
        "note": "All in",
        "eta": "2026-04-01",
        "correction_reason": "",
        "created": None,
    }
    response = api.post(url, {"step": "delivered"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_milestone" and "Vehicle Pickup" in response.json()["message"]
    response = api.post(url, {"correct_to": "signed", "reason": ""}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"]["reason"][0]["code"] == "correction_needs_reason"
    response = api.post(
        url, {"correct_to": "signed", "reason": "Docs incomplete"}, content_type="application/json"
    )
    assert (
        response.status_code == 201 and response.json()["milestone"]["correction_reason"] == "Docs incomplete"
    )


def test_an_api_key_moves_a_step_audited_as_the_key(alpha, signed):
    from tenants.services.apikeys import apikey_create

    contract = signed(alpha)
    key = apikey_create(tenant=alpha.tenant, label="Dispatch", actor=alpha.owner).key
    api = client_for(alpha, HTTP_AUTHORIZATION=f"Api-Key {key}")
    url = f"/api/v1/contracts/{contract.pk}/milestones/"
    response = api.post(url, {"step": "documents"}, content_type="application/json")
    assert response.status_code == 201, response.content
    with tenant_context(alpha.tenant):
        event = ContractEvent.objects.filter(contract=contract).latest("pk")
    assert (event.actor_type, event.actor_label) == ("api", "api-key:Dispatch")


def test_api_refuses_ambiguous_or_unknown_bodies_storing_nothing(alpha, signed):
    contract = signed(alpha)
    api = client_for(alpha, alpha.owner)
    url = f"/api/v1/contracts/{contract.pk}/milestones/"
    for body in [{}, {"step": "documents", "correct_to": "signed", "reason": "x"}, {"step": "warp"}]:
        assert api.post(url, body, content_type="application/json").status_code == 400
    with tenant_context(alpha.tenant):
        assert Milestone.objects.filter(contract=contract).count() == 1


def test_api_cannot_reach_another_tenants_contract(alpha, beta, signed):
    both = alpha.owner
    Membership.objects.create(user=both, tenant=beta.tenant, role=Membership.Role.MEMBER)
    contract = signed(beta)
    with tenant_context(alpha.tenant):
        assert not Contract.objects.filter(pk=contract.pk).exists()
    response = client_for(alpha, both).post(
        f"/api/v1/contracts/{contract.pk}/milestones/", {"step": "documents"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client_for(alpha).post(
        f"/api/v1/contracts/{contract.pk}/milestones/", {"step": "documents"}
    ).status_code in (401, 403)
    with tenant_context(beta.tenant):
        assert Contract.objects.get(pk=contract.pk).milestone == 0
    # The same person on beta's own host can.
    response = client_for(beta, both).post(
        f"/api/v1/contracts/{contract.pk}/milestones/", {"step": "documents"}, content_type="application/json"
    )
    assert response.status_code == 201


def test_owner_form_moves_a_step_and_shows_conflicts(alpha, beta, signed):
    contract = signed(alpha)
    url = f"/contracts/{contract.pk}/milestones/"
    page = client_for(alpha, alpha.member)
    response = page.post(url, {"step": "documents", "note": "ok"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'value="pickup"' in response.text and "Mark “Vehicle Pickup”" in response.text
    # the page's audit trail is replaced too, out of band, with the move in it
    trail = response.text.split('<section id="audit-trail" hx-swap-oob="true"', 1)[1]
    assert "milestone: Documents" in trail and alpha.member.email in trail
    response = page.post(url, {"step": "delivered"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "Vehicle Pickup" in response.text
    assert "audit-trail" not in response.text  # nothing moved, nothing to show
    response = page.post(url, {"step": "pickup"})
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert client_for(alpha, beta.member).post(url, {"step": "transit"}).status_code == 404
    assert client_for(alpha).post(url, {"step": "transit"}).status_code == 302  # to sign-in
    with tenant_context(alpha.tenant):
        assert Contract.objects.get(pk=contract.pk).milestone == 2


# --- review request ---------------------------------------------------------------------------------

TORONTO = ZoneInfo("America/Toronto")


def _delivered(world, signed, advance, at):
    contract = signed(world)
    with time_machine.travel(at, tick=False):
        for step in ["documents", "pickup", "port", "loaded", "transit", "arrived", "customs", "delivered"]:
            advance(world, contract, step)
    return contract


def _review_due(world, at, django_capture_on_commit_callbacks):
    travel, capture = time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True)
    with travel, tenant_context(world.tenant), capture:
        return contracts_review_request_due()


def test_review_is_asked_once_the_next_local_morning(
    alpha, signed, advance, django_capture_on_commit_callbacks
):
    alpha.tenant.config.timezone = "America/Toronto"
    alpha.tenant.config.save()
    with tenant_context(alpha.tenant):
        settings = PortalSettings.load()
        settings.review_url = "https://g.page/r/alpha-movers/review"
        settings.save()
    contract = _delivered(alpha, signed, advance, dt.datetime(2026, 5, 4, 16, 0, tzinfo=TORONTO))
    assert (
        _review_due(alpha, dt.datetime(2026, 5, 5, 8, 59, tzinfo=TORONTO), django_capture_on_commit_callbacks)
        == 0
    )
    assert (
        _review_due(alpha, dt.datetime(2026, 5, 5, 9, 0, tzinfo=TORONTO), django_capture_on_commit_callbacks)
        == 1
    )
    assert (
        _review_due(alpha, dt.datetime(2026, 5, 5, 10, 0, tzinfo=TORONTO), django_capture_on_commit_callbacks)
        == 0
    )
    assert "https://g.page/r/alpha-movers/review" in sms_bodies()[-1]
    assert sum("review" in body for body in sms_bodies()) == 1
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.review_requested_at is not None and contract.milestone == DELIVERED
        assert ContractEvent.objects.filter(contract=contract, kind="review_requested").count() == 1


def test_no_review_request_without_a_review_link(alpha, signed, advance, django_capture_on_commit_callbacks):
    contract = _delivered(alpha, signed, advance, dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.UTC))
    assert (
        _review_due(alpha, dt.datetime(2026, 5, 6, 12, 0, tzinfo=dt.UTC), django_capture_on_commit_callbacks)
        == 0
    )
    with tenant_context(alpha.tenant):
        assert Contract.objects.get(pk=contract.pk).review_requested_at is None
