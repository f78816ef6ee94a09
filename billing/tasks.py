"""Billing's background work. Tasks take ids, are safe to run twice, and ack late."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from billing.models import Signup
from billing.services import signup, subscriptions, webhooks
from tenants.messaging import SmsDeliveryError, render_text, sms_send
from tenants.selectors import tenant_url

# Five tries after the first, 30 s, 1, 2, 4 and 8 minutes apart: rides out a Stripe outage, then gives
# up visibly (the event is marked failed in the admin, where staff can replay it).
MAX_RETRIES = 5


@shared_task(
    bind=True, acks_late=True, autoretry_for=(Exception,), max_retries=MAX_RETRIES,
    retry_backoff=30, retry_backoff_max=600, retry_jitter=False,
)  # fmt: skip
def webhook_event_process(self, *, event_pk: int) -> str:
    return webhooks.webhook_event_process(
        event_pk=event_pk, last_try=self.request.retries >= self.max_retries
    )


@shared_task(acks_late=True)
def webhook_events_requeue_stale() -> int:
    return webhooks.webhook_events_requeue_stale()


@shared_task(acks_late=True)
def billing_grace_sweep() -> int:
    return subscriptions.billing_grace_sweep()


@shared_task(acks_late=True)
def signups_purge_abandoned() -> int:
    return signup.signups_purge_abandoned()


@shared_task(acks_late=True)
def signup_welcome_sms(*, signup_id: int) -> bool:
    """Text the new owner that the workspace is ready (once per signup); the sign-in link goes by email."""
    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=signup_id)
        if signup.welcome_sms_at is not None or signup.tenant is None:
            return False
        owner = signup.tenant.memberships.filter(role="owner").select_related("user").first()
        phone = owner.user.phone if owner else ""
        if not phone:
            return False
        signup.welcome_sms_at = timezone.now()
        signup.save(update_fields=["welcome_sms_at"])
    context = {
        "brand": signup.tenant.name,
        "url": tenant_url(signup.tenant, "/sign-in/"),
        "email": signup.email,
    }
    try:
        sms_send(to=phone, body=render_text("sms/billing/welcome.txt", context).strip(), tenant=signup.tenant)
    except SmsDeliveryError:
        return False  # recorded as failed in the outbox; the email carries the link anyway
    return True
