"""Reads for billing: subdomain availability, signups, subscriptions, MRR."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count
from django_tenants.utils import schema_exists

from billing.models import Signup, Subscription
from billing.plans import PLANS
from tenants.error_codes import TenantErrorCode as E
from tenants.models import Domain, Tenant
from tenants.selectors import tenant_host
from tenants.services.provisioning import schema_name_for
from tenants.validators import validate_subdomain

# Subscriptions that are paying (or expected to pay): they count in MRR.
BILLABLE = (Subscription.Status.ACTIVE, Subscription.Status.TRIALING, Subscription.Status.PAST_DUE)


@dataclass(frozen=True)
class Availability:
    subdomain: str
    available: bool
    code: str
    message: str


def subdomain_availability(*, subdomain: str, signup: Signup | None = None) -> Availability:
    """Whether `subdomain` can be asked for now: valid, not reserved, no tenant has it, and no paid
    signup is being set up with it (`signup`, the one asking, excepted)."""
    subdomain = (subdomain or "").strip().lower()
    try:
        validate_subdomain(subdomain)
    except ValidationError as exc:
        return Availability(subdomain, False, exc.code, exc.messages[0])
    paid = Signup.objects.filter(subdomain=subdomain, status=Signup.Status.PAID)
    if signup is not None:
        paid = paid.exclude(pk=signup.pk)
    if (
        Tenant.objects.filter(subdomain=subdomain).exists()
        or Domain.objects.filter(domain=tenant_host(subdomain)).exists()
        or schema_exists(schema_name_for(subdomain))
        or paid.exists()
    ):
        return Availability(subdomain, False, E.SUBDOMAIN_TAKEN, f"“{subdomain}” is already taken.")
    return Availability(subdomain, True, "available", f"“{subdomain}” is available.")


def signup_by_token(token: str) -> Signup | None:
    return Signup.objects.select_related("tenant").filter(token=token or "").first()


def subscription_of(tenant: Tenant) -> Subscription | None:
    return Subscription.objects.filter(tenant=tenant).first()


def mrr_by_plan() -> list[dict]:
    """Monthly recurring revenue per plan, in US dollars, from the subscriptions that are billable."""
    counts = dict(
        Subscription.objects.filter(status__in=BILLABLE)
        .values_list("plan")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = [
        {"plan": plan.name, "count": counts.get(code, 0), "mrr": counts.get(code, 0) * plan.monthly_usd}
        for code, plan in PLANS.items()
    ]
    return rows
