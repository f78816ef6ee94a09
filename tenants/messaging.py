"""Outbound SMS and email. Every feature sends through `sms_send` and Django's mail API.

SMS_BACKEND chooses the SMS transport: "twilio" (the Twilio REST client, credentials from the
environment) or "outbox" (stores the message and prints it to the console: nothing leaves the
machine). Both record an OutboundMessage, so staff see every message in the admin.
Email goes through Django's mail API to RecordingEmailBackend, which records it and hands it to
INKWELL_EMAIL_TRANSPORT (any Django email backend) when one is set.
"""

from __future__ import annotations

import logging
import re
import sys

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend

from tenants.models import OutboundMessage, Tenant

logger = logging.getLogger(__name__)

# Emails sent on behalf of a tenant carry its schema name here, so the outbox can attribute them.
TENANT_HEADER = "X-Inkwell-Tenant"
# Once a message has really been delivered, the copy we keep must not be a working credential.
SIGNIN_LINK_RE = re.compile(r"/sign-in/link/[\w-]+/")
REDACTED = "[redacted]"


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


def sms_send(*, to: str, body: str, tenant: Tenant | None = None, secret: str = "") -> OutboundMessage:
    """Send one SMS through the configured backend and record it. Raises SmsDeliveryError on failure.

    `secret` (a sign-in code, say) is blanked out of the kept copy when the SMS really goes out.
    """
    backend = settings.SMS_BACKEND
    kept = body.replace(secret, REDACTED) if secret and backend != "outbox" else body
    record = OutboundMessage(
        channel=OutboundMessage.Channel.SMS, tenant=tenant, to=to, body=kept, backend=backend
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


class RecordingEmailBackend(BaseEmailBackend):
    """The EMAIL_BACKEND. Records every email as an OutboundMessage, attributed to its tenant,
    and hands it to the INKWELL_EMAIL_TRANSPORT backend (SMTP, django-anymail, ...) for delivery.
    With no transport it only stores and prints it: the development outbox."""

    def send_messages(self, email_messages):
        transport = settings.EMAIL_TRANSPORT
        delivered = 0
        for message in email_messages:
            # Internal attribution only: the header never reaches the recipient.
            schema = message.extra_headers.pop(TENANT_HEADER, None)
            tenant = Tenant.objects.filter(schema_name=schema).first() if schema else None
            status, error = OutboundMessage.Status.STORED, ""
            if transport:
                try:
                    get_connection(transport, fail_silently=False).send_messages([message])
                    status = OutboundMessage.Status.SENT
                except Exception as exc:
                    status, error = OutboundMessage.Status.FAILED, str(exc)
                    logger.warning("Email to %s failed: %s", message.recipients(), exc)
            for recipient in message.recipients():
                OutboundMessage.objects.create(
                    channel=OutboundMessage.Channel.EMAIL,
                    tenant=tenant,
                    to=recipient,
                    subject=str(message.subject),
                    body=SIGNIN_LINK_RE.sub(f"/sign-in/link/{REDACTED}/", message.body)
                    if transport
                    else message.body,
                    backend=transport.rsplit(".", 2)[-2] if transport else "outbox",
                    status=status,
                    error=error,
                )
            if status == OutboundMessage.Status.FAILED and not self.fail_silently:
                raise RuntimeError(f"Email delivery failed: {error}")
            if not transport:
                _echo(
                    f"[outbox] Email to {', '.join(message.recipients())}: {message.subject}\n{message.body}"
                )
            delivered += status != OutboundMessage.Status.FAILED
        return delivered
