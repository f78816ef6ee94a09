"""SMS consent (STOP/START) and delivery reports, for every tenant texting through the platform's number."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

from tenants.models import OutboundMessage, SmsOptOut

# A delivery report changed an SMS's status: kwargs message (the OutboundMessage). Receivers run in
# the report's transaction and reach what the message was about through `message.ref`.
sms_status_changed = Signal()

# Twilio's final message statuses (https://www.twilio.com/docs/messaging/api/message-resource):
# the in-between ones (queued, sending, sent) change nothing we keep.
FINAL_STATUSES = {
    "delivered": OutboundMessage.Status.DELIVERED,
    "undelivered": OutboundMessage.Status.UNDELIVERED,
    "failed": OutboundMessage.Status.FAILED,
}


def sms_opt_out(*, phone: str, keyword: str = "") -> bool:
    """Stop all SMS to `phone`, from every tenant. Returns whether it was opted in until now."""
    _, created = SmsOptOut.objects.get_or_create(phone=phone, defaults={"keyword": keyword[:20]})
    return created


def sms_opt_in(*, phone: str) -> bool:
    """Let tenants text `phone` again. Returns whether it had opted out."""
    deleted, _ = SmsOptOut.objects.filter(phone=phone).delete()
    return bool(deleted)


@transaction.atomic
def sms_status_record(*, provider_id: str, status: str, error_code: str = "") -> OutboundMessage | None:
    """Record a delivery report for the SMS the provider knows as `provider_id`.

    Returns the message when its status changed, None otherwise (an unknown message, a status in
    between, or a report repeated by the provider's retries, which therefore records nothing twice).
    """
    new_status = FINAL_STATUSES.get(status)
    if new_status is None or not provider_id:
        return None
    message = (
        OutboundMessage.objects.select_for_update()
        .filter(channel=OutboundMessage.Channel.SMS, provider_id=provider_id)
        .first()
    )
    if message is None or message.status == new_status:
        return None
    message.status = new_status
    if error_code:
        message.error = f"Twilio error {error_code}"
    message.save(update_fields=["status", "error"])
    sms_status_changed.send(sender=OutboundMessage, message=message)
    return message
