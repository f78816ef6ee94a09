"""Billing test helpers: Stripe-shaped objects, Stripe's signature scheme, and Stripe's API recorded
at the HTTP layer with `responses` (api.stripe.com), so the real `stripe` library runs end to end."""

import hashlib
import hmac
import json
import time
from itertools import count

import pytest
import responses
from django.test import TestCase

WEBHOOK_SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"
PRICES = {"seo": "price_1QSeoMonthly", "seo-ads": "price_1QSeoAdsMonthly", "full": "price_1QFullMonthly"}
API = "https://api.stripe.com/v1"
_ids = count(1)


def stripe_sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def event(type_: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_1Test{next(_ids):010d}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
    }


def subscription(
    sub_id: str, *, plan: str = "seo", status: str = "active", signup_id=None, customer="cus_Test1"
):
    now = int(time.time())
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "billing_cycle_anchor": now,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "usd",
        "customer": customer,
        "default_payment_method": "pm_1Test",
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_Test1",
                    "object": "subscription_item",
                    "created": now,
                    "current_period_end": now + 30 * 86400,
                    "current_period_start": now,
                    "metadata": {},
                    "price": {
                        "id": PRICES[plan],
                        "object": "price",
                        "active": True,
                        "currency": "usd",
                        "product": "prod_Test",
                        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
                        "type": "recurring",
                        "unit_amount": {"seo": 50000, "seo-ads": 100000, "full": 150000}[plan],
                    },
                    "quantity": 1,
                    "subscription": sub_id,
                }
            ],
            "has_more": False,
            "total_count": 1,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": "in_1Test",
        "livemode": False,
        "metadata": {"signup_id": str(signup_id)} if signup_id else {},
        "start_date": now,
        "status": status,
    }


def checkout_session(signup, *, sub_id: str, session_id: str | None = None, payment_status: str = "paid"):
    return {
        "id": session_id or signup.checkout_session_id,
        "object": "checkout.session",
        "amount_subtotal": 50000,
        "amount_total": 50000,
        "client_reference_id": str(signup.pk),
        "currency": "usd",
        "customer": "cus_Test1",
        "customer_details": {"email": signup.email, "name": None, "phone": None},
        "livemode": False,
        "metadata": {"signup_id": str(signup.pk), "subdomain": signup.subdomain},
        "mode": "subscription",
        "payment_status": payment_status,
        "status": "complete",
        "subscription": sub_id,
        "url": None,
    }


def invoice(sub_id: str, *, paid: bool) -> dict:
    return {
        "id": f"in_1Test{next(_ids)}",
        "object": "invoice",
        "amount_due": 50000,
        "attempt_count": 1,
        "billing_reason": "subscription_cycle",
        "customer": "cus_Test1",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"metadata": {}, "subscription": sub_id},
        },
        "status": "paid" if paid else "open",
    }


def committing():
    """Run what the code queues on commit (its tasks run eagerly) as a real commit would: the test's
    own transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def post_event(client, evt: dict, **sign_kwargs):
    body = json.dumps(evt).encode()
    with committing():
        return client.post(
            "/billing/stripe/webhook/", data=body, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_sign(body, **sign_kwargs),
        )  # fmt: skip


@pytest.fixture
def stripe_mode(settings):
    settings.BILLING_BACKEND = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_51Test"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICE_IDS = dict(PRICES)
    return settings


@pytest.fixture
def stripe_api(stripe_mode):
    """Stripe's API as recorded: tests add the answers they expect; nothing reaches the network."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def serve_subscription(stripe_api, data: dict, *, status: int = 200):
    stripe_api.add(responses.GET, f"{API}/subscriptions/{data['id']}", json=data, status=status)


def stripe_error(status: int = 500):
    return {"error": {"message": "An unknown error occurred", "type": "api_error"}}


@pytest.fixture
def make_signup(db):
    """A pending signup that went to Stripe Checkout (as signup_start leaves it)."""
    from billing.models import Signup

    def make(subdomain="acme", plan="seo", email="owner@acme.example", phone="+14165550199", **extra):
        return Signup.objects.create(
            business_name=f"{subdomain.title()} Movers", subdomain=subdomain, email=email, phone=phone, plan=plan,
            checkout_session_id=f"cs_test_{subdomain}", checkout_url=f"https://checkout.stripe.com/c/pay/cs_test_{subdomain}",
            **extra,
        )  # fmt: skip

    return make


@pytest.fixture
def worker_retries():
    """Eager tasks that propagate errors raise a retry at the caller; a worker would schedule it. Not
    propagating lets the eager run perform the retries one after another, as a worker does."""
    from inkwell.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True
