"""Subscription state: our copy follows Stripe's, and the tenant follows the subscription.

A tenant's status moves only through the foundation's status machine (tenants/services/status.py):
past due opens a grace period (BILLING_GRACE_DAYS) with a banner; after it, or when Stripe gives up
(unpaid), the tenant is suspended; payment restores it; a canceled subscription cancels the tenant.
Nothing is ever deleted: a canceled tenant's schema and rows stay where they are.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Signup, Subscription
from billing.plans import plan_for_price, plan_get, toggles_for
from tenants.models import Tenant, TenantConfig, TenantStatusEvent
from tenants.services.audit import audit_record
from tenants.services.status import ALLOWED_TRANSITIONS, tenant_status_set

logger = logging.getLogger(__name__)

S = Subscription.Status
T = Tenant.Status
BILLING_REASON = "billing"  # status events the billing code records start with this


def _grace() -> timedelta:
    return timedelta(days=settings.BILLING_GRACE_DAYS)


def _period_end(data: dict) -> datetime | None:
    items = (data.get("items") or {}).get("data") or [{}]
    stamp = items[0].get("current_period_end") or data.get("current_period_end")
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp else None


def _price_id(data: dict) -> str:
    items = (data.get("items") or {}).get("data") or []
    return items[0]["price"]["id"] if items else ""


def subscription_sync(*, data: dict) -> Subscription:
    """Bring our copy of a subscription, and its tenant if it has one, in line with `data` — the
    subscription as just fetched from Stripe. Safe to repeat; the last fetch wins."""
    plan = plan_for_price(_price_id(data))
    signup_id = (data.get("metadata") or {}).get("signup_id")
    with transaction.atomic():
        Subscription.objects.get_or_create(stripe_id=data["id"], defaults={"status": data["status"]})
        sub = Subscription.objects.select_for_update().get(stripe_id=data["id"])
        if sub.signup_id is None:
            sub.signup = (
                Signup.objects.filter(pk=signup_id).first() if str(signup_id or "").isdigit() else None
            ) or Signup.objects.filter(subscription_id=data["id"]).first()
        if sub.tenant_id is None and sub.signup is not None and sub.signup.tenant_id is not None:
            sub.tenant_id = sub.signup.tenant_id
        sub.customer_id = data.get("customer") or sub.customer_id
        sub.plan = plan.code if plan else sub.plan
        if plan is None:
            logger.error("Subscription %s has price %s, which is no plan's", data["id"], _price_id(data))
        sub.status = data["status"]
        sub.current_period_end = _period_end(data)
        sub.cancel_at_period_end = bool(data.get("cancel_at_period_end"))
        if sub.status == S.PAST_DUE:
            sub.past_due_since = sub.past_due_since or timezone.now()
        else:
            sub.past_due_since = None
        sub.save()
        if sub.tenant_id is not None:
            subscription_apply(subscription=sub)
    return sub


def _desired_status(sub: Subscription) -> str | None:
    if sub.status in (S.ACTIVE, S.TRIALING):
        return T.ACTIVE
    if sub.status == S.PAST_DUE:
        grace_over = sub.past_due_since is not None and sub.past_due_since + _grace() <= timezone.now()
        return T.SUSPENDED if grace_over else T.ACTIVE
    if sub.status in (S.UNPAID, S.PAUSED):
        return T.SUSPENDED
    if sub.status in (S.CANCELED, S.INCOMPLETE_EXPIRED):
        return T.CANCELED
    return None  # incomplete: the first payment is still being attempted


def _suspended_by_billing(tenant: Tenant) -> bool:
    """Billing lifts only suspensions billing made, never one staff made for another reason."""
    last = TenantStatusEvent.objects.filter(tenant=tenant, to_status=T.SUSPENDED).order_by("-pk").first()
    return last is not None and last.reason.startswith(BILLING_REASON)


def subscription_apply(*, subscription: Subscription) -> Tenant:
    """Make the subscription's tenant match it: plan (and so features) and status. Call it inside a
    transaction holding the subscription's row lock."""
    tenant = Tenant.objects.select_for_update().get(pk=subscription.tenant_id)
    if subscription.plan and tenant.plan != subscription.plan:
        plan_change_apply(tenant=tenant, plan=subscription.plan)
    desired = _desired_status(subscription)
    if desired is None or desired == tenant.status:
        return tenant
    if desired == T.ACTIVE and tenant.status == T.SUSPENDED and not _suspended_by_billing(tenant):
        return tenant
    if desired not in ALLOWED_TRANSITIONS.get(tenant.status, set()):
        logger.warning(
            "Subscription %s wants %s %s, which is %s", subscription.stripe_id, tenant, desired, tenant.status
        )
        return tenant
    tenant_status_set(
        tenant=tenant, status=desired, reason=f"{BILLING_REASON}: subscription {subscription.status}"
    )
    return tenant


def plan_change_apply(*, tenant: Tenant, plan: str, initial: bool = False) -> None:
    """Give `tenant` `plan`: the features the new plan adds are switched on, the ones it lacks off
    (their data stays; an upgrade brings them back). Toggles both plans agree on keep the owner's
    choice; `initial` (a new tenant) sets them all. Call inside a transaction."""
    old, new = (None if initial else plan_get(tenant.plan or "")), plan_get(plan)
    before = toggles_for(old) if old else None
    after = toggles_for(new)
    config = TenantConfig.objects.select_for_update().get(pk=tenant.pk)
    changed = [name for name, on in after.items() if before is None or before[name] != on]
    for name in changed:
        setattr(config, name, after[name])
    if changed:
        config.save(update_fields=[*changed, "updated"])
    Tenant.objects.filter(pk=tenant.pk).update(plan=plan)
    audit_record(
        actor=None, action="billing.plan_changed", tenant=tenant,
        data={"from": "" if initial else tenant.plan, "to": plan, "features": {name: after[name] for name in changed}},
    )  # fmt: skip
    tenant.plan = plan


def billing_grace_sweep() -> int:
    """Suspend the tenants whose subscription stayed past due beyond the grace period. Returns how many."""
    cutoff = timezone.now() - _grace()
    suspended = 0
    for pk in Subscription.objects.filter(
        status=S.PAST_DUE, past_due_since__lte=cutoff, tenant__status=T.ACTIVE
    ).values_list("pk", flat=True):
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().get(pk=pk)
            if sub.tenant_id is not None and subscription_apply(subscription=sub).status == T.SUSPENDED:
                suspended += 1
    return suspended


def past_due_notice(*, tenant: Tenant) -> dict | None:
    """What the dashboard banner says while a payment is overdue, or None."""
    sub = Subscription.objects.filter(tenant=tenant, status=S.PAST_DUE).first()
    if sub is None or sub.past_due_since is None:
        return None
    return {"suspend_on": sub.past_due_since + _grace()}
