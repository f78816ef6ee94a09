"""Two deliveries of the same checkout at the same moment, on real connections that really commit."""

import json
import secrets
import threading

import pytest
from celery._state import _set_task_join_will_block
from django.core import mail
from django.db import connection
from django.test import Client

from billing.models import Signup, Subscription, WebhookEvent
from tenants.models import (
    AuditEvent,
    Domain,
    Membership,
    OutboundMessage,
    SignInToken,
    Tenant,
    TenantConfig,
    TenantStatusEvent,
    User,
)
from tests.billing.conftest import checkout_session, event, serve_subscription, stripe_sign, subscription
from tests.conftest import on_own_connection

SUBDOMAIN = "race"
EMAIL = "owner@race.example"
PHONE = "+14165550177"


@pytest.fixture
def committed_signup(db, stripe_api):
    def create():
        return Signup.objects.create(
            business_name="Race Movers", subdomain=SUBDOMAIN, email=EMAIL, phone=PHONE, plan="seo",
            checkout_session_id="cs_test_race",
        )  # fmt: skip

    def remove():
        # The race claimed the session's spare schema for real. Its tables are still empty (claiming only
        # renames the schema), so it goes back to the pool as it was, instead of migrating a new spare.
        Signup.objects.filter(pk=signup.pk).delete()
        WebhookEvent.objects.filter(payload__data__object__client_reference_id=str(signup.pk)).delete()
        Subscription.objects.filter(stripe_id="sub_race").delete()
        for tenant in Tenant.objects.filter(subdomain=SUBDOMAIN):
            spare_name = f"spare_{secrets.token_hex(8)}"
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER SCHEMA "{tenant.schema_name}" RENAME TO "{spare_name}"')
            OutboundMessage.objects.filter(tenant=tenant).delete()
            for related in (Domain, TenantConfig, Membership, TenantStatusEvent, SignInToken, AuditEvent):
                related.objects.filter(tenant=tenant).delete()
            Tenant.objects.filter(pk=tenant.pk).update(
                schema_name=spare_name, subdomain=None, name="", plan="", external_key=None,
                status=Tenant.Status.SPARE, activated_at=None,
            )  # fmt: skip
        User.objects.filter(email=EMAIL).delete()

    signup = on_own_connection(create)
    try:
        yield signup
    finally:
        on_own_connection(remove)
        # Eager tasks flag "a join would block" in one process-wide variable and restore it afterwards;
        # eager tasks on two threads at once can leave it set, which would break later tests' tasks.
        _set_task_join_will_block(False)


def test_the_same_checkout_delivered_concurrently_provisions_once(committed_signup, stripe_api):
    signup = committed_signup
    serve_subscription(stripe_api, subscription("sub_race", signup_id=signup.pk))
    evt = event("checkout.session.completed", checkout_session(signup, sub_id="sub_race"))
    # The same event twice (Stripe's retry racing its first try), and the same checkout under another
    # event id (a resend), all at once.
    bodies = [json.dumps(evt).encode()] * 2 + [json.dumps({**evt, "id": evt["id"] + "b"}).encode()]
    start = threading.Barrier(len(bodies))
    answers = []

    def deliver(body):
        try:
            start.wait()
            response = Client(HTTP_HOST="localhost").post(
                "/billing/stripe/webhook/", data=body, content_type="application/json",
                HTTP_STRIPE_SIGNATURE=stripe_sign(body),
            )  # fmt: skip
            answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [(200, b"duplicate"), (200, b"ok"), (200, b"ok")]

    def outcome():
        tenants = list(Tenant.objects.filter(subdomain=SUBDOMAIN).values_list("status", flat=True))
        sms = OutboundMessage.objects.filter(to=PHONE, channel="sms").count()
        events = sorted(
            WebhookEvent.objects.filter(event_id__startswith=evt["id"]).values_list("status", flat=True)
        )
        return tenants, sms, events, Signup.objects.get(pk=signup.pk).status

    assert on_own_connection(outcome) == (["active"], 1, ["processed", "processed"], "ready")
    assert sum(1 for m in mail.outbox if m.to == [EMAIL] and m.subject.startswith("Welcome")) == 1
