"""Subscription lifecycle: past due → grace → suspended → paid → active; canceled; plan changes."""

from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.db import connection
from django_tenants.utils import schema_exists

from billing import tasks
from billing.models import Subscription
from billing.services.subscriptions import plan_change_apply
from tenants.models import Tenant, TenantConfig
from tenants.services.status import tenant_suspend
from tests.billing.conftest import API, event, invoice, post_event, subscription
from tests.conftest import client_for

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def subscribed(alpha, stripe_api):
    """Alpha on the SEO plan with an active Stripe subscription."""
    plan_change_apply(tenant=alpha.tenant, plan="seo", initial=True)
    Subscription.objects.create(
        stripe_id="sub_alpha", customer_id="cus_Test1", tenant=alpha.tenant, plan="seo", status="active"
    )
    return alpha


def stripe_now(stripe_api, **kwargs):
    """What Stripe's API answers for the subscription from now on."""
    stripe_api.upsert(
        responses.GET, f"{API}/subscriptions/sub_alpha", json=subscription("sub_alpha", **kwargs)
    )


def status_of(world):
    return Tenant.objects.get(pk=world.tenant.pk).status


def test_payment_failure_grace_period_suspension_and_recovery(
    subscribed, stripe_api, public_client, time_machine
):
    alpha = subscribed
    owner = client_for(alpha, user=alpha.owner)
    time_machine.move_to(START, tick=False)
    stripe_now(stripe_api, status="past_due")
    post_event(public_client, event("invoice.payment_failed", invoice("sub_alpha", paid=False)))
    assert status_of(alpha) == "active"
    banner = owner.get("/dashboard/").content.decode()
    assert "Your last payment to Inkwell failed" in banner and "March 9" in banner

    # The grace period: still open a minute before it ends (the hourly sweep), paused once it has.
    time_machine.move_to(START + timedelta(days=7) - timedelta(minutes=1), tick=False)
    assert tasks.billing_grace_sweep() == 0 and status_of(alpha) == "active"
    time_machine.move_to(START + timedelta(days=7), tick=False)
    assert tasks.billing_grace_sweep() == 1 and status_of(alpha) == "suspended"

    page = client_for(alpha).get("/")
    assert page.status_code == 403 and "unpaid invoice" in page.content.decode()
    assert "Nothing has been deleted" in page.content.decode()
    # The owner can still sign in and reach the billing page to pay; nothing else.
    assert owner.get("/billing/").status_code == 200
    assert client_for(alpha).get("/sign-in/").status_code == 200
    assert owner.get("/dashboard/").status_code == 403

    stripe_now(stripe_api, status="active")
    post_event(public_client, event("invoice.paid", invoice("sub_alpha", paid=True)))
    assert status_of(alpha) == "active"
    assert Subscription.objects.get().past_due_since is None
    response = owner.get("/dashboard/")
    assert response.status_code == 200 and "payment to Inkwell failed" not in response.content.decode()


def test_unpaid_suspends_at_once(subscribed, stripe_api, public_client):
    stripe_now(stripe_api, status="unpaid")
    post_event(
        public_client, event("customer.subscription.updated", subscription("sub_alpha", status="unpaid"))
    )
    assert status_of(subscribed) == "suspended"


def test_billing_never_lifts_a_suspension_staff_made(subscribed, stripe_api, public_client):
    tenant_suspend(tenant=subscribed.tenant, reason="abuse report")
    stripe_now(stripe_api, status="active")
    post_event(public_client, event("invoice.paid", invoice("sub_alpha", paid=True)))
    assert status_of(subscribed) == "suspended"
    # and its page does not offer to pay: paying is not what it takes.
    assert "Sign in to pay" not in client_for(subscribed).get("/").content.decode()


def test_a_canceled_subscription_closes_the_site_and_keeps_the_data(subscribed, stripe_api, public_client):
    stripe_now(stripe_api, status="canceled")
    post_event(
        public_client, event("customer.subscription.deleted", subscription("sub_alpha", status="canceled"))
    )
    tenant = Tenant.objects.get(pk=subscribed.tenant.pk)
    assert tenant.status == "canceled"
    page = client_for(subscribed).get("/")
    assert page.status_code == 404 and "This workspace is closed" in page.content.decode()
    assert schema_exists(tenant.schema_name)  # nothing deleted
    connection.set_schema_to_public()


def test_plan_changes_switch_features_and_keep_data(subscribed, stripe_api, public_client):
    alpha = subscribed
    owner = client_for(alpha, user=alpha.owner)
    stripe_now(stripe_api, plan="full")
    post_event(public_client, event("customer.subscription.updated", subscription("sub_alpha", plan="full")))
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert Tenant.objects.get(pk=alpha.tenant.pk).plan == "full"
    assert (config.feature_campaigns, config.feature_chat, config.feature_questionnaire) == (True, True, True)
    assert owner.get("/campaigns/").status_code == 200  # past the plan's gate

    stripe_now(stripe_api, plan="seo")
    post_event(public_client, event("customer.subscription.updated", subscription("sub_alpha", plan="seo")))
    config.refresh_from_db()
    assert (config.feature_campaigns, config.feature_chat, config.feature_questionnaire) == (
        False,
        False,
        False,
    )
    response = owner.get("/campaigns/")
    assert response.status_code == 403 and "Upgrade to SEO + Ads" in response.content.decode()
    assert config.feature_contracts and owner.get("/contracts/").status_code == 200


def test_a_downgrade_keeps_the_owners_own_choices_for_features_both_plans_have(
    subscribed, stripe_api, public_client
):
    TenantConfig.objects.filter(pk=subscribed.tenant.pk).update(feature_contracts=False)
    stripe_now(stripe_api, plan="seo-ads")
    post_event(
        public_client, event("customer.subscription.updated", subscription("sub_alpha", plan="seo-ads"))
    )
    config = TenantConfig.objects.get(pk=subscribed.tenant.pk)
    assert config.feature_campaigns and not config.feature_contracts


def test_beat_runs_the_grace_sweep_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["billing-grace-sweep"]
    assert entry == {"task": tasks.billing_grace_sweep.name, "schedule": 3600.0}
