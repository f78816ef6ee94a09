"""Outbound SMS and email. Every feature sends through `sms_send` and Django's mail API.

SMS_BACKEND chooses the SMS transport: "twilio" (the Twilio REST client, credentials from the
environment) or "outbox" (stores the message and prints it to the console: nothing leaves the
machine). Both record an OutboundMessage, so staff see every message in the admin.
EMAIL_BACKEND is Django's own setting; OutboxEmailBackend is the development default.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from tenants.models import OutboundMessage, Tenant

logger = logging.getLogger(__name__)

# Emails sent on behalf of a tenant carry its schema name here, so the outbox can attribute them.
TENANT_HEADER = "X-Inkwell-Tenant"


class SmsDeliveryError(Exception):
    """The SMS provider refused or failed to take the message."""


def _twilio_send(*, to: str, body: str) -> str:
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    try:
        message = client.messages.create(to=to, from_=settings.TWILIO_FROM_NUMBER, body=body)
    except TwilioException as exc:
        raise SmsDeliveryError(str(exc)) from exc
    return message.sid


def _echo(text: str) -> None:
    """Show a stored message in the developer's console (the outbox is the only delivery there is)."""
    print(text, file=sys.stderr, flush=True)


def sms_send(*, to: str, body: str, tenant: Tenant | None = None) -> OutboundMessage:
    """Send one SMS through the configured backend and record it. Raises SmsDeliveryError on failure."""
    backend = settings.SMS_BACKEND
    record = OutboundMessage(
        channel=OutboundMessage.Channel.SMS, tenant=tenant, to=to, body=body, backend=backend
    )
    if backend == "outbox":
        record.status = OutboundMessage.Status.STORED
        record.save()
        _echo(f"[outbox] SMS to {to}: {body}")
        return record
    if backend != "twilio":
        raise ValueError(f"Unknown SMS_BACKEND {backend!r}: use 'twilio' or 'outbox'.")
    try:
        record.provider_id = _twilio_send(to=to, body=body)
        record.status = OutboundMessage.Status.SENT
    except SmsDeliveryError as exc:
        record.status = OutboundMessage.Status.FAILED
        record.error = str(exc)
        logger.warning("SMS to %s failed: %s", to, exc)
        raise
    finally:
        record.save()
    return record


class OutboxEmailBackend(BaseEmailBackend):
    """Stores each email as an OutboundMessage and prints it to the console; sends nothing."""

    def send_messages(self, email_messages):
        for message in email_messages:
            schema = message.extra_headers.get(TENANT_HEADER)
            tenant = Tenant.objects.filter(schema_name=schema).first() if schema else None
            body = message.body
            for recipient in message.recipients():
                OutboundMessage.objects.create(
                    channel=OutboundMessage.Channel.EMAIL,
                    tenant=tenant,
                    to=recipient,
                    subject=str(message.subject),
                    body=body,
                    backend="outbox",
                    status=OutboundMessage.Status.STORED,
                )
                _echo(f"[outbox] Email to {recipient}: {message.subject}\n{body}")
        return len(email_messages)
