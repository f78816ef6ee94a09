"""Stripe webhook intake, after Stripe's own guidance: verify the signature on the raw body, store the
event under its unique id, answer 200 at once, and process it in a Celery task through a dict of
handlers. Processing is idempotent (a duplicate or replayed event changes nothing more) and does not
trust event order: handlers fetch the subscription as it is now from Stripe's API.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from datetime import timedelta

import redis
import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing import gateway
from billing.error_codes import BillingErrorCode
from billing.models import Signup, WebhookEvent
from billing.services.subscriptions import plan_change_apply, subscription_apply, subscription_sync
from inkwell.errors import DomainError
from inkwell.queue import enqueue_on_commit
from tenants.models import Tenant
from tenants.services.provisioning import tenant_provision

logger = logging.getLogger(__name__)
E = WebhookEvent.Status
# A signup's provisioning lock (Redis, expiring if its holder dies): how long it may be held, and how
# long a concurrent delivery waits for it before failing (its task is retried).
SIGNUP_LOCK_SECONDS = 600
SIGNUP_LOCK_WAIT_SECONDS = 300


class WebhookRejected(DomainError):
    status_code = 400


class PermanentFailure(Exception):
    """Processing can never succeed as things are (an unknown signup, a subdomain taken meanwhile):
    no retry; the event is marked failed for staff at once."""


def webhook_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify and store one delivery; queue its processing once stored. Returns (event, created):
    a redelivered event is stored once and queued once. Raises WebhookRejected (nothing stored) for a
    missing or wrong signature, a stale timestamp or a body that is not an event."""
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature header.", code=BillingErrorCode.SIGNATURE_INVALID)
    try:
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("Invalid signature.", code=BillingErrorCode.SIGNATURE_INVALID) from exc
    except (ValueError, AttributeError, TypeError) as exc:  # not UTF-8, not JSON, or JSON but not an object
        raise WebhookRejected(
            "The body is not a Stripe event.", code=BillingErrorCode.PAYLOAD_INVALID
        ) from exc
    # Our own copy of the body as sent (the library's object is not plain JSON).
    body = json.loads(payload)
    if not (
        isinstance(body, dict)
        and isinstance(body.get("id"), str)
        and isinstance(body.get("type"), str)
        and isinstance((body.get("data") or {}).get("object"), dict)
    ):
        raise WebhookRejected("The body is not a Stripe event.", code=BillingErrorCode.PAYLOAD_INVALID)
    from billing.tasks import webhook_event_process

    with transaction.atomic():
        event, created = WebhookEvent.objects.get_or_create(
            provider="stripe",
            event_id=body["id"][:255],
            defaults={"type": body["type"][:100], "payload": body},
        )
        if created:
            enqueue_on_commit(webhook_event_process, event_pk=event.pk)
    return event, created


def webhook_event_replay(*, event: WebhookEvent) -> None:
    """Staff: process a stored event again (handlers are idempotent, so a processed one changes nothing)."""
    from billing.tasks import webhook_event_process

    with transaction.atomic():
        WebhookEvent.objects.filter(pk=event.pk).update(status=E.RECEIVED, error="")
        enqueue_on_commit(webhook_event_process, event_pk=event.pk)


# Longer than a task's whole retry schedule (30 s + 1 + 2 + 4 + 8 min): an event still "received" after
# this was never queued (the broker was down at commit) or its task was lost.
STALE_AFTER = timedelta(minutes=30)


def webhook_events_requeue_stale(*, limit: int = 500) -> int:
    """Queue again the events stored but never processed (beat, every 10 minutes). Returns how many."""
    from billing.tasks import webhook_event_process

    stale = WebhookEvent.objects.filter(status=E.RECEIVED, received_at__lt=timezone.now() - STALE_AFTER)
    pks = list(stale.order_by("received_at").values_list("pk", flat=True)[:limit])
    for pk in pks:
        enqueue_on_commit(webhook_event_process, event_pk=pk)
    return len(pks)


def webhook_event_process(*, event_pk: int, last_try: bool) -> str:
    """Run the handler for one stored event. Returns its new status. Raises gateway.ProviderError (the
    task retries) unless this is the last try, when the event is marked failed instead."""
    event = WebhookEvent.objects.get(pk=event_pk)
    if event.status in (E.PROCESSED, E.IGNORED):
        return event.status  # a redelivered task
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    handler = HANDLERS.get(event.type)
    if handler is None:
        _finish(event, E.IGNORED)
        return E.IGNORED
    try:
        tenant = handler(event.payload["data"]["object"])
    except PermanentFailure as exc:
        _finish(event, E.FAILED, error=str(exc))
        return E.FAILED
    except Exception as exc:
        logger.warning("Stripe event %s (%s) failed: %s", event.event_id, event.type, exc)
        if last_try:
            _finish(event, E.FAILED, error=f"{exc.__class__.__name__}: {exc}")
            return E.FAILED
        WebhookEvent.objects.filter(pk=event.pk).update(error=f"{exc.__class__.__name__}: {exc}")
        raise
    _finish(event, E.PROCESSED, tenant=tenant)
    return E.PROCESSED


def _finish(event: WebhookEvent, status: str, *, error: str = "", tenant: Tenant | None = None) -> None:
    fields = {"status": status, "error": error, "processed_at": timezone.now()}
    if tenant is not None:
        fields["tenant"] = tenant
    WebhookEvent.objects.filter(pk=event.pk).update(**fields)


# --- handlers: each takes the event's object and returns the tenant it concerned (or None) -------------


def _signup_for(session: dict) -> Signup:
    ref = session.get("client_reference_id") or (session.get("metadata") or {}).get("signup_id") or ""
    signup = Signup.objects.filter(pk=ref).first() if str(ref).isdigit() else None
    if signup is None:
        raise PermanentFailure(f"Checkout session {session.get('id')} names no signup of ours ({ref!r}).")
    return signup


def checkout_completed(session: dict) -> Tenant | None:
    """A paid checkout: provision the tenant (once per checkout session) and welcome its owner."""
    if session.get("mode") != "subscription" or not session.get("subscription"):
        return None
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return None  # async payment still pending; checkout.session.async_payment_succeeded follows
    signup = _signup_for(session)
    with transaction.atomic():
        locked = Signup.objects.select_for_update().get(pk=signup.pk)
        if locked.status == Signup.Status.PENDING:
            locked.status = Signup.Status.PAID
            locked.paid_at = timezone.now()
        locked.checkout_session_id = session["id"]
        locked.customer_id = session.get("customer") or ""
        locked.subscription_id = session["subscription"]
        locked.save()
    data = gateway.subscription_retrieve(session["subscription"])
    sub = subscription_sync(data=data)
    # One provisioning per signup at a time: a concurrent delivery waits here and then finds the
    # tenant made, instead of building a second spare schema only to lose the race for the name.
    with _signup_lock(locked.pk):
        return _provision(locked, sub, session)


@contextmanager
def _signup_lock(signup_id: int):
    """Held across provisioning's own transactions, so not a PostgreSQL session lock: behind PgBouncer
    in transaction mode each of those transactions may run on another server session."""
    name = f"{settings.CACHES['default']['KEY_PREFIX']}:lock:signup:{signup_id}"
    lock = redis.Redis.from_url(settings.REDIS_URL).lock(
        name, timeout=SIGNUP_LOCK_SECONDS, blocking_timeout=SIGNUP_LOCK_WAIT_SECONDS
    )
    if not lock.acquire():
        raise RuntimeError(f"Signup {signup_id} is still being provisioned by another delivery; retrying.")
    try:
        yield
    finally:
        try:
            lock.release()
        except redis.exceptions.LockNotOwnedError:
            logger.warning(
                "Signup %s: provisioning outlasted its lock (%s s)", signup_id, SIGNUP_LOCK_SECONDS
            )


def _provision(locked: Signup, sub, session: dict) -> Tenant | None:
    if sub.status not in (sub.Status.ACTIVE, sub.Status.TRIALING, sub.Status.PAST_DUE):
        _signup_fail(locked, f"The subscription is {sub.status}; no workspace was made.")
        return None
    try:
        result = tenant_provision(
            name=locked.business_name, subdomain=locked.subdomain, owner_email=locked.email,
            owner_phone=locked.phone, plan=sub.plan, external_key=session["id"], send_welcome=True,
        )  # fmt: skip
    except ValidationError as exc:
        message = "; ".join(exc.messages)
        _signup_fail(locked, message)
        raise PermanentFailure(f"Signup {locked.pk} could not be provisioned: {message}") from exc
    from billing.tasks import signup_welcome_sms

    with transaction.atomic():
        sub = type(sub).objects.select_for_update().get(pk=sub.pk)
        tenant = result.tenant
        if result.created:
            plan_change_apply(tenant=tenant, plan=sub.plan, initial=True)
            enqueue_on_commit(signup_welcome_sms, signup_id=locked.pk)
        Signup.objects.filter(pk=locked.pk).update(
            tenant=tenant, status=Signup.Status.READY, ready_at=timezone.now(), error=""
        )
        if sub.tenant_id is None:
            sub.tenant = tenant
            sub.save(update_fields=["tenant", "updated"])
        subscription_apply(subscription=sub)  # a change that arrived while provisioning
    return tenant


def _signup_fail(signup: Signup, message: str) -> None:
    Signup.objects.filter(pk=signup.pk).exclude(status=Signup.Status.READY).update(
        status=Signup.Status.FAILED, error=message
    )


def subscription_changed(subscription: dict) -> Tenant | None:
    """created / updated / deleted: whatever the event says, sync from the subscription as it is now."""
    sub = subscription_sync(data=gateway.subscription_retrieve(subscription["id"]))
    return sub.tenant


def _invoice_subscription_id(invoice: dict) -> str | None:
    # API versions from 2025-03 name it under parent.subscription_details; older ones at the top.
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    found = parent.get("subscription") or invoice.get("subscription")
    return found if isinstance(found, str) else (found or {}).get("id")


def invoice_changed(invoice: dict) -> Tenant | None:
    """invoice.paid / invoice.payment_failed: the subscription's status says what they mean."""
    sub_id = _invoice_subscription_id(invoice)
    if not sub_id:
        return None  # a one-off invoice, nothing to do with a workspace
    return subscription_changed({"id": sub_id})


HANDLERS = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": checkout_completed,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "invoice.paid": invoice_changed,
    "invoice.payment_failed": invoice_changed,
}
