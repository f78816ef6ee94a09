"""The offline backend's "Stripe": builds the objects and events Stripe would send for a checkout, a
plan change, a failed or paid invoice and a cancellation, signs them with the webhook secret
exactly as Stripe does (`t=<unix time>,v1=<HMAC-SHA256 of "t.payload">`), and hands them to the
webhook. The local checkout page and test portal feed the intake in-process; the
`billing_simulate_checkout` command posts to a running server over HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from billing.models import Signup, SimulatedObject
from billing.plans import plan_get

API_VERSION = "2025-03-31.basil"


def _id(prefix: str) -> str:
    return f"{prefix}_local_{secrets.token_hex(10)}"


def sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new((secret or settings.STRIPE_WEBHOOK_SECRET).encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(type_: str, obj: dict, *, previous: dict | None = None) -> dict:
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": _id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type_,
    }


def signed(evt: dict) -> tuple[bytes, str]:
    body = json.dumps(evt).encode()
    return body, sign(body)


def subscription_object(
    *, sub_id: str, customer_id: str, plan_code: str, status: str, signup_id: int
) -> dict:
    now = int(time.time())
    price_id = plan_get(plan_code).price_id
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "cancel_at_period_end": False,
        "canceled_at": now if status == "canceled" else None,
        "created": now,
        "livemode": False,
        "metadata": {"signup_id": str(signup_id)},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": _id("si"),
                    "object": "subscription_item",
                    "current_period_start": now,
                    "current_period_end": now + 30 * 86400,
                    "price": {
                        "id": price_id,
                        "object": "price",
                        "currency": "usd",
                        "recurring": {"interval": "month", "interval_count": 1},
                        "unit_amount": plan_get(plan_code).monthly_usd * 100,
                    },
                    "quantity": 1,
                }
            ],
        },
    }


def checkout_session_object(*, signup: Signup, sub_id: str, customer_id: str) -> dict:
    plan = plan_get(signup.plan)
    return {
        "id": signup.checkout_session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": str(signup.pk),
        "metadata": {"signup_id": str(signup.pk), "subdomain": signup.subdomain},
        "customer": customer_id,
        "customer_details": {
            "email": signup.email,
            "phone": signup.phone or None,
            "name": signup.business_name,
        },
        "subscription": sub_id,
        "amount_total": plan.monthly_usd * 100,
        "currency": "usd",
        "livemode": False,
    }


def invoice_object(*, sub: dict, paid: bool) -> dict:
    return {
        "id": _id("in"),
        "object": "invoice",
        "customer": sub["customer"],
        "status": "paid" if paid else "open",
        "amount_due": sub["items"]["data"][0]["price"]["unit_amount"],
        "attempt_count": 1,
        "billing_reason": "subscription_cycle",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub["id"], "metadata": sub["metadata"]},
        },
    }


Deliver = Callable[[bytes, str], object]


def _store(obj: dict) -> None:
    SimulatedObject.objects.update_or_create(object_id=obj["id"], defaults={"data": obj})


def checkout_complete(*, signup: Signup, deliver: Deliver) -> list[dict]:
    """Pay for `signup` the way Stripe Checkout would: store the customer and an active subscription,
    then deliver `customer.subscription.created`, `checkout.session.completed` and `invoice.paid`."""
    customer_id = _id("cus")
    sub = subscription_object(
        sub_id=_id("sub"),
        customer_id=customer_id,
        plan_code=signup.plan,
        status="active",
        signup_id=signup.pk,
    )
    with transaction.atomic():
        _store({"id": customer_id, "object": "customer", "email": signup.email, "name": signup.business_name})
        _store(sub)
    events = [
        event("customer.subscription.created", sub),
        event(
            "checkout.session.completed",
            checkout_session_object(signup=signup, sub_id=sub["id"], customer_id=customer_id),
        ),
        event("invoice.paid", invoice_object(sub=sub, paid=True)),
    ]
    for evt in events:
        deliver(*signed(evt))
    return events


def subscription_change(
    *, subscription_id: str, deliver: Deliver, plan_code: str | None = None, status: str | None = None
) -> dict:
    """Change a stored subscription's plan and/or status and deliver what Stripe would send for it."""
    stored = SimulatedObject.objects.get(object_id=subscription_id)
    sub = stored.data
    previous = {}
    if plan_code and plan_code != _plan_code(sub):
        previous["items"] = json.loads(json.dumps(sub["items"]))
        sub["items"]["data"][0]["price"]["id"] = plan_get(plan_code).price_id
        sub["items"]["data"][0]["price"]["unit_amount"] = plan_get(plan_code).monthly_usd * 100
    if status and status != sub["status"]:
        previous["status"] = sub["status"]
        sub["status"] = status
        if status == "canceled":
            sub["canceled_at"] = int(time.time())
    _store(sub)
    if status == "past_due" and "status" in previous:
        deliver(*signed(event("invoice.payment_failed", invoice_object(sub=sub, paid=False))))
    if status == "active" and previous.get("status") in ("past_due", "unpaid"):
        deliver(*signed(event("invoice.paid", invoice_object(sub=sub, paid=True))))
    type_ = "customer.subscription.deleted" if status == "canceled" else "customer.subscription.updated"
    deliver(*signed(event(type_, sub, previous=previous)))
    return sub


def _plan_code(sub: dict) -> str:
    from billing.plans import plan_for_price

    plan = plan_for_price(sub["items"]["data"][0]["price"]["id"])
    return plan.code if plan else ""
