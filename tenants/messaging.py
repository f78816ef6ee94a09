"""Outbound SMS and email. Every feature sends through `sms_send` and `tenant_email_send`.

SMS_BACKEND chooses the SMS transport: "twilio" (the Twilio REST client, credentials from the
environment) or "outbox" (stores the message and prints it to the console: nothing leaves the
machine). Both record an OutboundMessage, so staff see every message in the admin.
Email goes through Django's mail API to RecordingEmailBackend, which records it. When
INKWELL_EMAIL_TRANSPORT names a real Django email backend, the record is queued and the
`email_deliver` task sends it through that backend, retrying with backoff until it is sent or
marked failed. Plain-text templates (email text, SMS) are rendered with `render_text`.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.template import Context, engines
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from inkwell.errors import ServiceUnavailable
from inkwell.log import REDACTED, secret_links_redact
from inkwell.queue import enqueue_on_commit
from tenants.contrast import WHITE, text_colour_on
from tenants.models import OutboundMessage, SmsOptOut, Tenant

logger = logging.getLogger(__name__)

# Emails sent on behalf of a tenant carry its schema name here, so the outbox can attribute them.
TENANT_HEADER = "X-Inkwell-Tenant"
# ...and what they are about ("contract:42"), kept as the record's `ref` for its delivery outcome.
REF_HEADER = "X-Inkwell-Ref"
# Once a message has really been delivered, the copy we keep must not be a working credential.
# Links that are credentials: sign-in links and customers' contract links (/c/<token>/).
# Longer than a whole retry schedule (1 + 2 + 4 + 8 minutes): an email still queued after this long
# since its last try has no task coming (the broker was down when it was queued, or lost the task).
EMAIL_STALE_AFTER = timedelta(minutes=30)


# An email ended sent or failed: kwargs message (the OutboundMessage). Receivers run in the delivery's
# transaction, reach what the email was about through `message.ref` (and `message.tenant`), and must
# not raise: a failing receiver is logged, and the email's outcome is kept all the same.
email_status_changed = Signal()


class SmsDeliveryError(Exception):
    """The SMS provider refused or failed to take the message."""


class EmailDeliveryError(Exception):
    """The email transport failed; the delivery will be tried again."""


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template (an email's text, an SMS) without HTML escaping.

    Escaping is for HTML; in text it would show "Bob's A&B Movers" as "Bob&#x27;s A&amp;B Movers".
    """
    template = engines["django"].get_template(template_name)
    return template.template.render(Context(context, autoescape=False))


def _twilio_send(*, to: str, body: str) -> str:
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    # Twilio reports delivered/undelivered/failed to the public host (tenants/webhooks.py).
    callback = settings.INKWELL_PUBLIC_URL + reverse("twilio_status", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    try:
        message = client.messages.create(
            to=to, from_=settings.TWILIO_FROM_NUMBER, body=body, status_callback=callback
        )
    except TwilioException as exc:
        raise SmsDeliveryError(str(exc)) from exc
    return message.sid


def _echo(text: str) -> None:
    """Show a stored message in the developer's console (the outbox is the only delivery there is)."""
    print(text, file=sys.stderr, flush=True)


def sms_send(
    *, to: str, body: str, tenant: Tenant | None = None, secret: str = "", ref: str = ""
) -> OutboundMessage:
    """Send one SMS through the configured backend and record it. Raises SmsDeliveryError on failure.

    `secret` (a sign-in code, say) is blanked out of the kept copy when the SMS really goes out.
    `ref` names what the message is about ("contract:42" in `tenant`'s schema) for delivery reports.
    A number that texted STOP gets nothing: the record says "skipped" and no provider is called.
    """
    backend = settings.SMS_BACKEND
    kept = body.replace(secret, REDACTED) if secret and backend != "outbox" else body
    record = OutboundMessage(
        channel=OutboundMessage.Channel.SMS, tenant=tenant, to=to, body=kept, backend=backend, ref=ref
    )
    if SmsOptOut.objects.filter(phone=to).exists():
        record.status = OutboundMessage.Status.SKIPPED
        # Never delivered, so a code or link in it must not become readable in the admin either.
        record.body = body.replace(secret, REDACTED) if secret else body
        record.error = "opted out"
        record.save()
        return record
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


# --- email ------------------------------------------------------------------------------------------


def tenant_email_send(*, tenant: Tenant, to: str, template: str, context: dict, ref: str = "") -> None:
    """Email `to` on behalf of `tenant`, recorded (and delivered) like every email.

    `<template>.txt` gives the subject (its first line) and the text, `<template>.html` the branded
    HTML alternative; both get `brand` and `primary_color`. The sender reads "<Brand> via Inkwell" at
    the platform's own address (mail is only trusted from domains we send for), and replies go to the
    tenant's business email when it has one. `ref` names what the email is about ("contract:42" in
    `tenant`'s schema) for `email_status_changed` receivers.
    """
    config = tenant.config
    context = {
        "brand": config.brand_name,
        "primary_color": config.primary_color,
        "primary_text_color": text_colour_on(config.primary_color, preferred=WHITE),
        **context,
    }
    subject, _, text = render_text(f"{template}.txt", context).partition("\n")
    platform, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject.strip(),
        body=text.lstrip("\n"),
        # formataddr quotes or encodes the name: quotes, commas or accents in a brand can't break the
        # header or smuggle in another address.
        from_email=formataddr((f"{config.brand_name} via {platform or 'Inkwell'}", address)),
        to=[to],
        reply_to=[config.business_email] if config.business_email else None,
        headers={TENANT_HEADER: tenant.schema_name, **({REF_HEADER: ref} if ref else {})},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()


def _html_part(message) -> str:
    """The HTML alternative, if any. Anything else (attachments, other parts) can't be kept for a
    retry yet, so it is refused loudly rather than dropped."""
    alternatives = list(getattr(message, "alternatives", []))
    html = [content for content, mimetype in alternatives if mimetype == "text/html"]
    if message.attachments or len(alternatives) > len(html) or len(html) > 1:
        raise ValueError("Emails can carry a text body and one HTML alternative, nothing else yet.")
    return html[0] if html else ""


class RecordingEmailBackend(BaseEmailBackend):
    """The EMAIL_BACKEND. Records every email as one OutboundMessage per recipient, attributed to its
    tenant. With an INKWELL_EMAIL_TRANSPORT the record is "queued" and the `email_deliver` task sends
    it; each recipient gets their own copy, so one bad address is retried or failed on its own. With no
    transport the email is only stored and printed: the development outbox."""

    def send_messages(self, email_messages):
        transport = settings.EMAIL_TRANSPORT
        for message in email_messages:
            html = _html_part(message)
            # Internal attribution only: the header never reaches the recipient.
            schema = message.extra_headers.pop(TENANT_HEADER, None)
            ref = message.extra_headers.pop(REF_HEADER, "")
            tenant = Tenant.objects.filter(schema_name=schema).first() if schema else None
            for recipient in message.recipients():
                # While queued, the kept copy is the only one a retry can send, so it is whole;
                # email_deliver blanks its sign-in links once it is sent or given up.
                record = OutboundMessage.objects.create(
                    channel=OutboundMessage.Channel.EMAIL,
                    tenant=tenant,
                    to=recipient,
                    from_email=message.from_email,
                    reply_to=list(message.reply_to),
                    headers=dict(message.extra_headers),
                    subject=str(message.subject),
                    body=message.body,
                    html_body=html,
                    backend=transport.rsplit(".", 2)[-2] if transport else "outbox",
                    status=OutboundMessage.Status.QUEUED if transport else OutboundMessage.Status.STORED,
                    ref=ref,
                )
                if transport:
                    self._queue(record)
            if not transport:
                _echo(
                    f"[outbox] Email to {', '.join(message.recipients())}: {message.subject}\n{message.body}"
                )
        return len(email_messages)

    def _queue(self, record: OutboundMessage) -> None:
        from tenants.tasks import email_deliver

        try:
            enqueue_on_commit(email_deliver, message_id=record.pk)
        except ServiceUnavailable as exc:
            _email_finish(record, status=OutboundMessage.Status.FAILED, error=str(exc))
            if not self.fail_silently:
                raise


def _email_finish(record: OutboundMessage, *, status: str, error: str) -> None:
    record.status, record.error = status, error
    record.body, record.html_body = secret_links_redact(record.body), secret_links_redact(record.html_body)
    record.save()
    # send_robust: the email has gone out (or been given up) whatever a receiver does; raising here
    # would roll its status back and have it sent again.
    for receiver, result in email_status_changed.send_robust(sender=OutboundMessage, message=record):
        if isinstance(result, Exception):
            logger.error("Email %s: %r failed: %r", record.pk, receiver, result)


def email_deliver(*, message_id: int, last_try: bool) -> bool:
    """Send one queued email through INKWELL_EMAIL_TRANSPORT. Returns whether it went out.

    Safe to run twice: the row stays locked while sending and only a queued email is sent, so a
    redelivered task finds it sent (or failed) and does nothing. When the transport fails, the try
    and its error are recorded; then EmailDeliveryError asks the task to retry, or on the last try
    the email is marked failed. Sent or failed, its sign-in links are blanked in the kept copy.
    """
    with transaction.atomic():
        record = (
            OutboundMessage.objects.select_for_update()
            .filter(
                pk=message_id, channel=OutboundMessage.Channel.EMAIL, status=OutboundMessage.Status.QUEUED
            )
            .first()
        )
        if record is None:
            return False
        record.attempts += 1
        record.last_attempt_at = timezone.now()
        message = EmailMultiAlternatives(
            subject=record.subject,
            body=record.body,
            from_email=record.from_email,
            to=[record.to],
            reply_to=record.reply_to,
            headers=record.headers,
        )
        if record.html_body:
            message.attach_alternative(record.html_body, "text/html")
        try:
            get_connection(settings.EMAIL_TRANSPORT, fail_silently=False).send_messages([message])
        except Exception as exc:  # whatever the transport raises: SMTP errors, a provider's API, timeouts
            logger.warning("Email %s to %s failed (try %s): %s", record.pk, record.to, record.attempts, exc)
            error = f"{type(exc).__name__}: {exc}"
            if last_try:
                _email_finish(record, status=OutboundMessage.Status.FAILED, error=error)
                return False
            record.error = error
            record.save(update_fields=["attempts", "last_attempt_at", "error"])
        else:
            _email_finish(record, status=OutboundMessage.Status.SENT, error=record.error)
            return True
    # Raised once the transaction has committed, so the counted try and its error stay recorded.
    raise EmailDeliveryError(error)


def emails_requeue_stale(*, limit: int = 500) -> int:
    """Queue delivery again for emails left "queued" with no task coming. Returns how many.

    Running a delivery twice is harmless (see email_deliver), so this errs on the side of requeueing.
    """
    from tenants.tasks import email_deliver

    cutoff = timezone.now() - EMAIL_STALE_AFTER
    stale = OutboundMessage.objects.filter(
        Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created__lt=cutoff),
        channel=OutboundMessage.Channel.EMAIL,
        status=OutboundMessage.Status.QUEUED,
    ).order_by("created")
    ids = list(stale.values_list("pk", flat=True)[:limit])
    for message_id in ids:
        enqueue_on_commit(email_deliver, message_id=message_id)
    return len(ids)
