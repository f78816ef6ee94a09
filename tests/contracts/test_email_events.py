"""Emails about a contract join its audit trail when they end sent (`email_sent`) or failed
(`email_failed`), in the contract's own tenant whatever schema the delivery runs in; other emails
add nothing to any contract."""

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django_tenants.utils import tenant_context

from contracts.models import Contract, ContractEvent
from inkwell.celery import app as celery_app
from tenants import tasks
from tenants.messaging import tenant_email_send
from tenants.models import OutboundMessage

EMAIL_EVENTS = ("email_sent", "email_failed")


class Transport(BaseEmailBackend):
    """An email transport that delivers into `sent`, or fails every send while `broken`."""

    broken = False
    sent: list = []

    def send_messages(self, email_messages):
        if Transport.broken:
            raise ConnectionRefusedError("SMTP server is down")
        Transport.sent.extend(email_messages)
        return len(email_messages)


@pytest.fixture
def transport(settings):
    settings.EMAIL_BACKEND = "tenants.messaging.RecordingEmailBackend"
    settings.EMAIL_TRANSPORT = f"{__name__}.Transport"
    Transport.broken, Transport.sent = False, []
    # Not propagating lets the eager run perform the task's retries one after another, as a worker does.
    celery_app.conf.task_eager_propagates = False
    yield Transport
    celery_app.conf.task_eager_propagates = True


def emailed(world, make_contract, send) -> Contract:
    """A contract sent to a customer who prefers email (its link email delivered through the task)."""
    return send(world, make_contract(world, contact_preference=Contract.ContactPreference.EMAIL))


def email_events(world, contract=None) -> list[tuple[int, str, dict]]:
    with tenant_context(world.tenant):
        events = ContractEvent.objects.filter(kind__in=EMAIL_EVENTS)
        if contract is not None:
            events = events.filter(contract=contract)
        return [(e.contract_id, e.kind, e.data) for e in events.order_by("pk")]


def test_a_delivered_contract_email_records_email_sent_on_that_contract(
    alpha, make_contract, send, transport
):
    contract = emailed(alpha, make_contract, send)
    (delivered,) = transport.sent
    assert delivered.to == ["ada@example.com"]
    message = OutboundMessage.objects.get(channel="email", to="ada@example.com")
    assert (message.status, message.ref) == ("sent", f"contract:{contract.pk}")
    assert "X-Inkwell-Ref" not in delivered.extra_headers and "X-Inkwell-Ref" not in message.headers
    assert email_events(alpha) == [
        (contract.pk, "email_sent", {"message": message.pk, "status": "sent", "error": ""})
    ]
    with tenant_context(alpha.tenant):
        event = contract.events.get(kind="email_sent")
        assert (event.actor_type, event.actor_label) == ("system", "Email")


def test_a_contract_email_the_transport_gives_up_on_records_email_failed(
    alpha, make_contract, send, transport
):
    transport.broken = True
    contract = emailed(alpha, make_contract, send)
    message = OutboundMessage.objects.get(channel="email", to="ada@example.com")
    assert (message.status, message.attempts) == ("failed", tasks.email_deliver.max_retries + 1)
    # One event for the outcome, none for the tries before it.
    [(contract_id, kind, data)] = email_events(alpha)
    assert (contract_id, kind, data["status"]) == (contract.pk, "email_failed", "failed")
    assert "SMTP server is down" in data["error"]


def test_a_delivery_run_from_another_schema_records_in_the_contracts_tenant(
    alpha, beta, make_contract, send, transport, monkeypatch
):
    # Queued but not run, as when the broker lost it; the requeue sweep then delivers it from the
    # public schema.
    monkeypatch.setattr(tasks.email_deliver, "apply_async", lambda **kwargs: None)
    contract = emailed(beta, make_contract, send)
    message = OutboundMessage.objects.get(channel="email", to="ada@example.com")
    monkeypatch.undo()
    connection.set_schema_to_public()
    tasks.email_deliver.apply(kwargs={"message_id": message.pk})
    assert connection.schema_name == "public"
    assert email_events(beta) == [
        (contract.pk, "email_sent", {"message": message.pk, "status": "sent", "error": ""})
    ]
    assert email_events(alpha) == []


def test_emails_not_about_a_contract_record_no_event(alpha, make_contract, send, transport):
    contract = send(alpha, make_contract(alpha, contact_preference=Contract.ContactPreference.SMS))
    tenant_email_send(
        tenant=alpha.tenant,
        to="ada@example.com",
        template="emails/contracts/link",
        context={"contract": contract},
    )
    message = OutboundMessage.objects.get(channel="email")
    assert (message.status, message.ref) == ("sent", "")
    assert email_events(alpha) == []


def test_a_failing_receiver_does_not_undo_the_delivery(alpha, make_contract, send, transport, monkeypatch):
    from contracts.services import tracking

    def broken(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # a database error, which aborts the transaction it runs in

    monkeypatch.setattr(tracking, "contract_event_record", broken)
    emailed(alpha, make_contract, send)
    assert len(transport.sent) == 1
    assert OutboundMessage.objects.get(channel="email", to="ada@example.com").status == "sent"
