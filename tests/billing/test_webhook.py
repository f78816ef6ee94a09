"""Stripe webhook intake: signatures, storage, idempotency, order, retries, provisioning."""

import json
import time
from datetime import UTC, datetime

import pytest
import responses
from django.core import mail

from billing.models import Signup, Subscription, WebhookEvent
from tenants.models import OutboundMessage, Tenant
from tests.billing.conftest import (
    API,
    checkout_session,
    committing,
    event,
    post_event,
    serve_subscription,
    stripe_error,
    stripe_sign,
    subscription,
)

pytestmark = pytest.mark.usefixtures("stripe_mode", "db")


def test_a_signed_event_is_stored_acknowledged_and_processed(public_client):
    response = post_event(public_client, event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.type, stored.status, stored.attempts) == ("customer.created", "ignored", 1)


NOW = 1_790_000_000


@pytest.mark.parametrize(
    "age, accepted",
    [(300, True), (301, False)],  # Stripe's default tolerance: five minutes, and one second past it
)
def test_signature_timestamp_tolerance(public_client, time_machine, age, accepted):
    time_machine.move_to(NOW, tick=False)
    response = post_event(public_client, event("customer.created", {"id": "cus_1"}), timestamp=NOW - age)
    assert response.status_code == (200 if accepted else 400)
    assert WebhookEvent.objects.count() == (1 if accepted else 0)


def _bad_deliveries():
    good = json.dumps(event("customer.created", {"id": "cus_1"})).encode()
    not_json = b'{"id": "evt_1", "type": '
    not_event = json.dumps(["evt_1"]).encode()
    return {
        "wrong secret": (good, stripe_sign(good, secret="whsec_someone_else")),
        "body changed after signing": (good.replace(b"cus_1", b"cus_2"), stripe_sign(good)),
        "missing header": (good, None),
        "header without v1": (good, f"t={int(time.time())}"),
        "malformed JSON": (not_json, stripe_sign(not_json)),
        "JSON but not an event": (not_event, stripe_sign(not_event)),
    }


@pytest.mark.parametrize("case", list(_bad_deliveries()))
def test_bad_deliveries_are_refused_and_nothing_is_stored(public_client, case):
    body, signature = _bad_deliveries()[case]
    extra = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    response = public_client.post(
        "/billing/stripe/webhook/", data=body, content_type="application/json", **extra
    )
    assert response.status_code == 400
    assert response.json()["code"] == ("payload_invalid" if "JSON" in case else "signature_invalid")
    assert WebhookEvent.objects.count() == 0


def test_the_webhook_lives_on_the_public_host_only(alpha):
    from django.test import Client

    response = post_event(Client(HTTP_HOST=alpha.host), event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 404
    assert WebhookEvent.objects.count() == 0


# --- checkout → tenant ---------------------------------------------------------------------------


def _welcomes(email):
    return sum(1 for m in mail.outbox if m.to == [email] and m.subject.startswith("Welcome"))


def test_checkout_completed_provisions_the_tenant_and_welcomes_its_owner(
    public_client, stripe_api, make_signup
):
    signup = make_signup(plan="seo-ads")
    serve_subscription(stripe_api, subscription("sub_1", plan="seo-ads", signup_id=signup.pk))
    response = post_event(
        public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1"))
    )
    assert response.status_code == 200
    signup.refresh_from_db()
    tenant = signup.tenant
    assert signup.status == "ready" and tenant.subdomain == "acme" and tenant.status == "active"
    assert tenant.plan == "seo-ads" and tenant.external_key == "cs_test_acme"
    config = tenant.config
    assert (config.feature_campaigns, config.feature_chat, config.feature_questionnaire) == (
        True,
        False,
        False,
    )
    sub = Subscription.objects.get(stripe_id="sub_1")
    assert (sub.tenant, sub.status, sub.customer_id) == (tenant, "active", "cus_Test1")
    assert WebhookEvent.objects.get().tenant == tenant
    # The welcome sign-in link by email, and an SMS saying where it went.
    assert _welcomes("owner@acme.example") == 1
    sms = OutboundMessage.objects.get(channel="sms", to="+14165550199")
    assert "acme.localhost" in sms.body and "owner@acme.example" in sms.body
    # The success page says so.
    page = public_client.get(f"/signup/done/{signup.token}/").content.decode()
    assert "is ready" in page and "http://acme.localhost:8000/sign-in/" in page


def test_the_same_event_twice_provisions_once(public_client, stripe_api, make_signup):
    signup = make_signup()
    serve_subscription(stripe_api, subscription("sub_1", signup_id=signup.pk))
    evt = event("checkout.session.completed", checkout_session(signup, sub_id="sub_1"))
    assert post_event(public_client, evt).content == b"ok"
    assert post_event(public_client, evt).content == b"duplicate"
    # A new event for the same checkout (Stripe resends under a new id only for a new attempt) and a
    # staff replay change nothing either.
    post_event(public_client, {**evt, "id": "evt_other"})
    from billing.services.webhooks import webhook_event_replay

    with committing():
        webhook_event_replay(event=WebhookEvent.objects.get(event_id=evt["id"]))
    assert Tenant.objects.filter(subdomain="acme").count() == 1
    assert _welcomes("owner@acme.example") == 1
    assert OutboundMessage.objects.filter(channel="sms", to="+14165550199").count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_subscription_updated_before_checkout_completed_ends_in_the_right_state(
    public_client, stripe_api, make_signup
):
    signup = make_signup(plan="seo")
    # By the time anything is processed, the customer has already moved to the full plan.
    now = subscription("sub_1", plan="full", signup_id=signup.pk)
    serve_subscription(stripe_api, now)
    older = subscription("sub_1", plan="seo", signup_id=signup.pk)
    post_event(public_client, event("customer.subscription.updated", now))
    assert not Tenant.objects.filter(subdomain="acme").exists()  # no tenant before the checkout completes
    post_event(public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1")))
    post_event(public_client, event("customer.subscription.created", older))  # the oldest, last
    tenant = Tenant.objects.get(subdomain="acme")
    assert tenant.plan == "full" and tenant.config.feature_chat
    assert Subscription.objects.get().plan == "full"


def test_a_stripe_outage_during_processing_is_retried_until_it_succeeds(
    public_client, stripe_api, make_signup, worker_retries
):
    signup = make_signup()
    url = f"{API}/subscriptions/sub_1"
    stripe_api.add(responses.GET, url, json=stripe_error(), status=500)
    stripe_api.add(responses.GET, url, json=stripe_error(), status=503)
    serve_subscription(stripe_api, subscription("sub_1", signup_id=signup.pk))
    response = post_event(
        public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1"))
    )
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("processed", 3)
    assert Tenant.objects.filter(subdomain="acme", status="active").exists()
    assert len([c for c in stripe_api.calls if c.request.url == url]) == 3


def test_after_the_last_retry_the_event_is_failed_for_staff_who_can_replay_it(
    public_client, stripe_api, make_signup, admin_client, worker_retries
):
    from billing.tasks import MAX_RETRIES

    signup = make_signup()
    stripe_api.add(responses.GET, f"{API}/subscriptions/sub_1", json=stripe_error(), status=500)
    post_event(public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1")))
    stored = WebhookEvent.objects.get()
    assert (stored.status, stored.attempts) == ("failed", MAX_RETRIES + 1)
    assert "APIError" in stored.error
    assert not Tenant.objects.filter(subdomain="acme").exists()
    listing = admin_client.get("/admin/billing/webhookevent/?status__exact=failed", HTTP_HOST="localhost")
    assert stored.event_id in listing.content.decode()

    stripe_api.replace(
        responses.GET, f"{API}/subscriptions/sub_1", json=subscription("sub_1", signup_id=signup.pk)
    )
    with committing():
        admin_client.post(
            "/admin/billing/webhookevent/",
            {"action": "replay", "_selected_action": [stored.pk]},
            HTTP_HOST="localhost",
        )
    stored.refresh_from_db()
    assert stored.status == "processed"
    assert Tenant.objects.filter(subdomain="acme", status="active").exists()


# --- no tenant without a completed, paid checkout ---------------------------------------------------


def test_no_tenant_without_a_completed_paid_checkout(public_client, stripe_api, make_signup):
    signup = make_signup()
    unpaid = checkout_session(signup, sub_id="sub_1", payment_status="unpaid")
    post_event(public_client, event("checkout.session.completed", unpaid))
    assert not Tenant.objects.filter(subdomain="acme").exists()
    # The subscription ended before the checkout's event was processed: nothing is made.
    serve_subscription(stripe_api, subscription("sub_1", status="incomplete_expired", signup_id=signup.pk))
    post_event(public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1")))
    assert not Tenant.objects.filter(subdomain="acme").exists()
    signup.refresh_from_db()
    assert signup.status == "failed" and "incomplete_expired" in signup.error
    # A checkout naming no signup of ours.
    post_event(
        public_client,
        event(
            "checkout.session.completed",
            {**checkout_session(signup, sub_id="sub_1"), "client_reference_id": "999999", "metadata": {}},
        ),
    )
    assert WebhookEvent.objects.filter(status="failed").count() == 1
    assert Tenant.objects.filter(external_key__startswith="cs_").count() == 0


def test_a_subdomain_taken_while_paying_fails_the_signup_visibly(
    public_client, stripe_api, make_signup, alpha
):
    signup = make_signup(subdomain="alpha")
    serve_subscription(stripe_api, subscription("sub_1", signup_id=signup.pk))
    post_event(public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1")))
    signup.refresh_from_db()
    assert signup.status == Signup.Status.FAILED and "taken" in signup.error
    assert WebhookEvent.objects.get().status == "failed"
    page = public_client.get(f"/signup/done/{signup.token}/").content.decode()
    assert "could not set up" in page


def test_events_stored_but_never_processed_are_queued_again_after_30_minutes(
    public_client, time_machine, settings
):
    from datetime import timedelta

    from billing import tasks
    from billing.services.webhooks import STALE_AFTER

    assert (
        settings.CELERY_BEAT_SCHEDULE["billing-events-requeue"]["task"]
        == tasks.webhook_events_requeue_stale.name
    )
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    WebhookEvent.objects.create(
        event_id="evt_lost", type="customer.created", payload=event("customer.created", {"id": "c"})
    )
    time_machine.move_to(start + STALE_AFTER, tick=False)
    assert tasks.webhook_events_requeue_stale() == 0
    time_machine.move_to(start + STALE_AFTER + timedelta(seconds=1), tick=False)
    assert tasks.webhook_events_requeue_stale() == 1
    assert WebhookEvent.objects.get().status == "ignored"


def test_a_delivery_finding_the_signup_being_provisioned_makes_nothing_and_is_retried(
    public_client, stripe_api, make_signup, monkeypatch, settings, worker_retries
):
    """One provisioning per signup at a time, across provisioning's own transactions: a Redis lock
    (a PostgreSQL session lock would not survive PgBouncer's transaction mode)."""
    import redis

    from billing.services import webhooks

    signup = make_signup()
    serve_subscription(stripe_api, subscription("sub_1", signup_id=signup.pk))
    monkeypatch.setattr(webhooks, "SIGNUP_LOCK_WAIT_SECONDS", 0)  # fail at once instead of waiting
    name = f"{settings.CACHES['default']['KEY_PREFIX']}:lock:signup:{signup.pk}"
    held = redis.Redis.from_url(settings.REDIS_URL).lock(name, timeout=60)
    assert held.acquire(blocking=False)  # another delivery is provisioning this signup
    try:
        post_event(
            public_client, event("checkout.session.completed", checkout_session(signup, sub_id="sub_1"))
        )
        stored = WebhookEvent.objects.get()
        # every try found the lock taken; after the last, staff see why and can replay it
        assert stored.status == "failed" and stored.attempts > 1
        assert "is still being provisioned by another delivery" in stored.error
        assert not Tenant.objects.filter(subdomain="acme").exists()
    finally:
        held.release()

    from billing.services.webhooks import webhook_event_replay

    with committing():
        webhook_event_replay(event=stored)
    assert Tenant.objects.filter(subdomain="acme", status="active").count() == 1
