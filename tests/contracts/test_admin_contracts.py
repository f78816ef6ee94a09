"""Staff list, create and send a tenant's contracts from the Tenant admin, inside its schema, and on
each contract's own page move its shipment, correct a step, resend and void."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_tenants.utils import tenant_context

from contracts.models import Contract
from tenants.models import OutboundMessage, User
from tests.contracts.conftest import CONTRACT_DATA, texted_link
from tests.contracts.test_owner_pages import FORM

PHONE = CONTRACT_DATA["customer_phone"]


def staff(*, superuser=True):
    if superuser:
        user = User.objects.create_superuser("staff@example.com", "pw-for-tests")
    else:
        user = User.objects.create_user(email="viewer@example.com", password="pw-for-tests", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return user, client


def url(world):
    return f"/admin/tenants/tenant/{world.tenant.pk}/contracts/"


def test_staff_create_and_send_a_contract_audited_as_staff(alpha, beta, django_capture_on_commit_callbacks):
    user, client = staff()
    assert url(alpha) in client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url(alpha), FORM | {"send_now": "on"})
    # In production the send commits inside the view's tenant_context; the test's own transaction
    # holds the commit back, so run what it queued in that same schema.
    with tenant_context(alpha.tenant):
        for callback in queued:
            callback()
    assert response.status_code == 302 and response["Location"] == url(alpha)
    with tenant_context(alpha.tenant):
        contract = Contract.objects.get()
        event = contract.events.get(kind="created")
        assert contract.status == "sent" and (event.actor_type, event.actor_id) == ("staff", user.pk)
    with tenant_context(beta.tenant):
        assert not Contract.objects.exists()
    assert OutboundMessage.objects.filter(channel="sms", tenant=alpha.tenant).count() == 1
    assert contract.reference in client.get(url(alpha)).content.decode()


def test_an_invalid_contract_is_a_form_error_in_the_admin(alpha):
    _, client = staff()
    response = client.post(url(alpha), FORM | {"customer_phone": "555"})
    assert response.status_code == 400 and "customer_phone" in response.context["form"].errors
    with tenant_context(alpha.tenant):
        assert not Contract.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_view_only_staff_see_but_cannot_create(alpha, method):
    _, client = staff(superuser=False)
    response = getattr(client, method)(url(alpha), FORM)
    if method == "get":
        assert response.status_code == 200 and "New contract" not in response.content.decode()
    else:
        assert response.status_code == 403
    with tenant_context(alpha.tenant):
        assert not Contract.objects.exists()


# --- one contract's page — tracking, resend and void by staff ------------------------------


def detail_url(world, contract):
    return f"/admin/tenants/tenant/{world.tenant.pk}/contracts/{contract.pk}/"


def test_staff_move_the_shipment_forward_and_the_customer_is_told(
    alpha, signed, django_capture_on_commit_callbacks
):
    user, client = staff()
    contract = signed(alpha)
    assert detail_url(alpha, contract) in client.get(url(alpha)).content.decode()
    page = client.get(detail_url(alpha, contract)).content.decode()
    assert "Contract Signed" in page and "Mark “Documents Submitted”" in page
    texted = OutboundMessage.objects.filter(channel="sms", to=PHONE).count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            detail_url(alpha, contract),
            {"action": "advance", "step": "documents", "note": "Papers in", "eta": "2026-12-01"},
            HTTP_USER_AGENT="StaffBrowser/1",
        )
    assert response.status_code == 302 and response["Location"] == detail_url(alpha, contract)
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        event = contract.events.get(kind="milestone", data__step=1)
        assert contract.milestone == 1 and event.data["note"] == "Papers in"
        assert (event.actor_type, event.actor_id, event.user_agent) == ("staff", user.pk, "StaffBrowser/1")
        assert contract.events.filter(kind="customer_notified", data__event=event.pk).exists()
    assert OutboundMessage.objects.filter(channel="sms", to=PHONE).count() == texted + 1
    page = client.get(detail_url(alpha, contract)).content.decode()
    assert "Documents Submitted</strong> (current)" in page and "Papers in" in page


def test_an_illegal_step_is_an_admin_error_message_and_nothing_moves(alpha, signed):
    _, client = staff()
    contract = signed(alpha)
    response = client.post(detail_url(alpha, contract), {"action": "advance", "step": "pickup"}, follow=True)
    shown = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert len(shown) == 1 and shown[0][0] == "error" and "Documents Submitted" in shown[0][1]
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.milestone == 0 and not contract.events.filter(kind="milestone", data__step=2).exists()


def test_staff_correct_a_step_back_only_with_a_reason(alpha, signed, advance):
    user, client = staff()
    contract = signed(alpha)
    advance(alpha, contract, "documents")
    response = client.post(
        detail_url(alpha, contract), {"action": "correct", "correct_to": "signed"}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.milestone == 1
    client.post(
        detail_url(alpha, contract), {"action": "correct", "correct_to": "signed", "reason": "Marked early"}
    )
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        event = contract.events.get(kind="milestone_corrected")
        assert (
            contract.milestone == 0 and event.data["reason"] == "Marked early" and event.actor_id == user.pk
        )


def test_staff_resend_and_void_from_the_contract_page(
    alpha, make_contract, send, django_capture_on_commit_callbacks
):
    _, client = staff()
    contract = send(alpha, make_contract(alpha))
    first = texted_link(PHONE)
    with django_capture_on_commit_callbacks() as queued:
        client.post(detail_url(alpha, contract), {"action": "send"})
    with tenant_context(alpha.tenant):
        for callback in queued:
            callback()
        assert contract.events.filter(kind="resent", actor_type="staff").exists()
    assert texted_link(PHONE) != first
    client.post(detail_url(alpha, contract), {"action": "void", "reason": "Customer cancelled"})
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.status == "voided"
        assert contract.events.get(kind="voided").data["reason"] == "Customer cancelled"
    assert "Void this contract" not in client.get(detail_url(alpha, contract)).content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_view_only_staff_see_a_contract_but_cannot_move_it(alpha, signed, method):
    _, client = staff(superuser=False)
    contract = signed(alpha)
    response = getattr(client, method)(
        detail_url(alpha, contract), {"action": "advance", "step": "documents"}
    )
    if method == "get":
        page = response.content.decode()
        assert response.status_code == 200 and "Contract Signed" in page and "Mark “" not in page
    else:
        assert response.status_code == 403
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.milestone == 0


def test_another_tenants_contract_is_not_found_under_this_tenants_url(alpha, beta, make_contract):
    _, client = staff()
    theirs = make_contract(beta)
    with tenant_context(alpha.tenant):
        assert not Contract.objects.filter(pk=theirs.pk).exists()
    assert client.get(detail_url(alpha, theirs)).status_code == 404
    assert client.post(detail_url(alpha, theirs), {"action": "void"}).status_code == 404
    assert client.get(detail_url(beta, theirs)).status_code == 200
    with tenant_context(beta.tenant):
        theirs.refresh_from_db()
        assert theirs.status == "draft"
