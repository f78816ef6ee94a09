"""The lead service: validation, 30-day dedupe, owner notification (once), status transitions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from contracts.services.events import Actor
from inkwell.errors import Conflict
from marketing.models import Lead, LeadEvent
from marketing.services.leads import DUPLICATE_WINDOW, lead_create, lead_status_set
from marketing.services.notify import lead_owner_notify
from tenants.models import OutboundMessage
from tests.marketing.conftest import LEAD_DATA

S = Lead.Status


def test_create_normalises_and_records_history(alpha, make_lead):
    lead, created = make_lead(alpha)
    assert created
    assert (lead.phone, lead.email, lead.status, lead.source) == (
        "+14165550188",
        "marco@example.com",
        "new",
        "form",
    )
    with tenant_context(alpha.tenant):
        event = lead.events.get()
    assert (event.kind, event.actor_id, event.actor_label) == ("created", alpha.owner.pk, alpha.owner.email)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"phone": "", "email": ""}, "phone"),
        ({"service_type": "teleport"}, "service_type"),
        ({"status": "won"}, "status"),
    ],
)
def test_invalid_data_is_a_field_error_and_stores_nothing(alpha, make_lead, fields, field):
    with pytest.raises(ValidationError) as caught:
        make_lead(alpha, **fields)
    assert field in caught.value.message_dict
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()


def test_the_database_refuses_a_lead_without_phone_or_email(alpha):
    with tenant_context(alpha.tenant), pytest.raises(DatabaseError), transaction.atomic():
        Lead.objects.create(name="Nobody")


def _age(world, lead, age):
    with tenant_context(world.tenant):
        Lead.objects.filter(pk=lead.pk).update(created=timezone.now() - age)


@pytest.mark.parametrize("same", [{"email": "other@example.com"}, {"phone": "+14165550999"}])
def test_same_phone_or_email_within_30_days_merges_with_a_note(alpha, make_lead, same):
    first, _ = make_lead(alpha)
    # At the limit: made exactly 30 days ago (give the test a minute of slack for its own run).
    _age(alpha, first, DUPLICATE_WINDOW - timedelta(minutes=1))
    again, created = make_lead(alpha, message="Any update?", **same)
    assert not created and again.pk == first.pk
    with tenant_context(alpha.tenant):
        assert Lead.objects.count() == 1
        note = first.events.get(kind=LeadEvent.Kind.DUPLICATE).note
    assert "Any update?" in note


def test_a_lead_older_than_30_days_is_not_merged(alpha, make_lead):
    first, _ = make_lead(alpha)
    _age(alpha, first, DUPLICATE_WINDOW + timedelta(minutes=1))
    second, created = make_lead(alpha)
    assert created and second.pk != first.pk


def test_a_new_lead_texts_and_emails_the_owner_once(alpha, make_lead):
    lead, _ = make_lead(alpha)
    texts = OutboundMessage.objects.filter(channel="sms", to=alpha.owner.phone)
    assert texts.count() == 1 and "Marco Rossi" in texts.get().body
    assert [m.to for m in mail.outbox] == [[alpha.owner.email]]
    assert "Marco Rossi" in mail.outbox[0].subject and f"/leads/{lead.pk}/" in mail.outbox[0].body
    # A redelivered task tells nobody again.
    with tenant_context(alpha.tenant):
        assert lead_owner_notify(lead_id=lead.pk) is False
    assert texts.count() == 1 and len(mail.outbox) == 1


def test_a_merged_duplicate_notifies_nobody(alpha, make_lead):
    make_lead(alpha)
    make_lead(alpha)
    assert OutboundMessage.objects.filter(channel="sms", to=alpha.owner.phone).count() == 1
    assert len(mail.outbox) == 1


def test_members_are_not_notified(alpha, make_lead):
    make_lead(alpha)
    assert not OutboundMessage.objects.filter(to=alpha.member.phone).exists()


def _move(world, lead, status):
    with tenant_context(world.tenant):
        return lead_status_set(
            lead=lead, status=status, actor=Actor(type="owner", user=world.owner), note="n"
        )


def test_status_moves_through_the_pipeline_with_history(alpha, make_lead):
    lead, _ = make_lead(alpha)
    for status in (S.CONTACTED, S.QUOTED, S.WON):
        lead = _move(alpha, lead, status)
    with tenant_context(alpha.tenant):
        moves = [(e.from_status, e.to_status) for e in lead.events.filter(kind="status")]
    assert moves == [("new", "contacted"), ("contacted", "quoted"), ("quoted", "won")]


@pytest.mark.parametrize("path, illegal", [((), S.WON), ((S.LOST,), S.CONTACTED), ((), "bogus")])
def test_illegal_moves_are_409_and_change_nothing(alpha, make_lead, path, illegal):
    lead, _ = make_lead(alpha)
    for status in path:
        lead = _move(alpha, lead, status)
    with pytest.raises(Conflict) as caught:
        _move(alpha, lead, illegal)
    assert caught.value.code == "illegal_lead_transition"
    with tenant_context(alpha.tenant):
        assert Lead.objects.get(pk=lead.pk).status == lead.status


def test_a_lost_lead_can_be_reopened(alpha, make_lead):
    lead, _ = make_lead(alpha)
    lead = _move(alpha, _move(alpha, lead, S.LOST), S.NEW)
    assert lead.status == S.NEW


def test_history_cannot_be_rewritten(alpha, make_lead):
    make_lead(alpha)
    with tenant_context(alpha.tenant), pytest.raises(DatabaseError), transaction.atomic():
        LeadEvent.objects.update(note="edited")


def test_unknown_fields_are_refused(alpha):
    with tenant_context(alpha.tenant), pytest.raises(ValidationError) as caught:
        lead_create(data=LEAD_DATA | {"owner_notified_at": "x"}, actor=Actor.system())
    assert "owner_notified_at" in caught.value.message_dict
