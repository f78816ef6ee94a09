"""The payment provider behind a small interface: Stripe's API, or the offline backend.

`BILLING_BACKEND` is "stripe" when STRIPE_SECRET_KEY is set and "local" otherwise. The local backend
is a real code path, not a mock: checkout is a page of our own clearly marked as a test, whose Pay
button sends the events Stripe would send, signed with the webhook secret, through the same intake;
the subscriptions it "retrieves" are the ones that page (or `billing_simulate_checkout`) stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import stripe
from django.conf import settings
from django.utils import timezone

from billing.models import Signup, SimulatedObject
from billing.plans import plan_get
from tenants.selectors import public_url, tenant_url


class ProviderError(Exception):
    """The provider could not be reached or answered with an error; trying again later may work."""


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


# Checkout sessions expire after an hour (Stripe's minimum is 30 minutes): a signup left at the
# payment page does not hold anything for long.
CHECKOUT_TTL = timedelta(hours=1)


def stripe_client() -> stripe.StripeClient:
    # No retries inside the library: the Celery task retries with backoff, and a web request fails fast.
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, http_client=stripe.RequestsClient(timeout=20), max_network_retries=0
    )


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe {exc.__class__.__name__}: {exc}") from exc


def _success_url(signup: Signup) -> str:
    return public_url(f"/signup/done/{signup.token}/")


def _cancel_url(signup: Signup) -> str:
    return public_url(f"/signup/?resume={signup.token}")


def checkout_session_create(*, signup: Signup) -> CheckoutSession:
    """A Checkout Session in subscription mode for `signup`, carrying its id both ways Stripe keeps it."""
    if settings.BILLING_BACKEND == "local":
        return CheckoutSession(
            id=f"cs_local_{secrets.token_hex(12)}", url=public_url(f"/signup/checkout/{signup.token}/")
        )
    plan = plan_get(signup.plan)
    params = {
        "mode": "subscription",
        "line_items": [{"price": plan.price_id, "quantity": 1}],
        "client_reference_id": str(signup.pk),
        "metadata": {"signup_id": str(signup.pk), "subdomain": signup.subdomain},
        "subscription_data": {"metadata": {"signup_id": str(signup.pk)}},
        "customer_email": signup.email,
        "success_url": _success_url(signup),
        "cancel_url": _cancel_url(signup),
        "expires_at": int((timezone.now() + CHECKOUT_TTL).timestamp()),
    }
    session = _call(
        stripe_client().v1.checkout.sessions.create, params, {"idempotency_key": f"signup-{signup.token}"}
    )
    return CheckoutSession(id=session.id, url=session.url)


def subscription_retrieve(subscription_id: str) -> dict:
    """The subscription as it is now (never as an event described it: events arrive out of order)."""
    if settings.BILLING_BACKEND == "local":
        found = SimulatedObject.objects.filter(object_id=subscription_id).first()
        if found is None:
            raise ProviderError(f"No such subscription: {subscription_id}")
        return found.data
    return _call(stripe_client().v1.subscriptions.retrieve, subscription_id).to_dict()


def portal_session_create(*, tenant, customer_id: str) -> str:
    """The URL of Stripe's Billing Portal for this customer, returning to the tenant's billing page."""
    return_url = tenant_url(tenant, "/billing/")
    if settings.BILLING_BACKEND == "local":
        return tenant_url(tenant, "/billing/test-portal/")
    session = _call(
        stripe_client().v1.billing_portal.sessions.create, {"customer": customer_id, "return_url": return_url}
    )
    return session.url
