"""Without Stripe keys: the test checkout, the test portal and `billing_simulate_checkout` send the
signed events Stripe would send, through the same webhook, and the product works end to end."""

import re

import pytest
import responses
from django.core import mail
from django.core.management import call_command
from django.test import Client

from billing.models import Signup, Subscription, WebhookEvent
from tenants.models import Tenant, TenantConfig
from tests.billing.conftest import committing
from tests.conftest import client_for

FORM = {
    "business_name": "Acme Movers",
    "subdomain": "acme",
    "email": "owner@acme.example",
    "phone": "+14165550199",
}


@pytest.fixture
def local_mode(settings, db):
    settings.BILLING_BACKEND = "local"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_local_test"
    return settings


def _sign_in_from_welcome(host):
    url = re.search(r"http://\S+/sign-in/link/\S+/", mail.outbox[-1].body).group(0)
    path = "/" + url.split("/", 3)[3]
    client = Client(HTTP_HOST=host)
    assert client.post(path).status_code == 302
    return client


def test_signup_through_the_test_checkout_gives_a_working_workspace(local_mode, public_client):
    response = public_client.post("/signup/", {**FORM, "plan": "full"})
    signup = Signup.objects.get()
    assert (
        response.status_code == 303
        and response["Location"] == f"http://localhost:8000/signup/checkout/{signup.token}/"
    )
    page = public_client.get(f"/signup/checkout/{signup.token}/").content.decode()
    assert "Test checkout." in page and "No card is charged" in page and "STRIPE_SECRET_KEY" in page
    assert not Tenant.objects.filter(subdomain="acme").exists()  # nothing before paying

    with committing():
        paid = public_client.post(f"/signup/checkout/{signup.token}/")
    assert paid["Location"] == f"/signup/done/{signup.token}/"
    assert "is ready" in public_client.get(paid["Location"]).content.decode()
    types = set(WebhookEvent.objects.values_list("type", "status"))
    assert types == {
        ("customer.subscription.created", "processed"), ("checkout.session.completed", "processed"),
        ("invoice.paid", "processed"),
    }  # fmt: skip
    tenant = Tenant.objects.get(subdomain="acme")
    assert tenant.plan == "full" and tenant.config.feature_chat
    owner = _sign_in_from_welcome("acme.localhost")
    assert owner.get("/dashboard/").status_code == 200
    # Paying twice (a double click) changes nothing.
    assert public_client.post(f"/signup/checkout/{signup.token}/").status_code == 303
    assert Tenant.objects.filter(subdomain="acme").count() == 1


def test_the_test_checkout_is_not_there_when_stripe_is_configured(local_mode, public_client, make_signup):
    signup = make_signup()
    local_mode.BILLING_BACKEND = "stripe"
    assert public_client.post(f"/signup/checkout/{signup.token}/").status_code == 404
    assert not WebhookEvent.objects.exists()


def test_billing_simulate_checkout_posts_signed_events_to_the_running_webhook(local_mode, capsys):
    # The "running server" is this test's Django, reached through the HTTP layer as the command reaches it.
    webhook = Client(HTTP_HOST="localhost")

    def forward(request):
        with committing():
            answer = webhook.post(
                "/billing/stripe/webhook/", data=request.body, content_type="application/json",
                HTTP_STRIPE_SIGNATURE=request.headers["Stripe-Signature"],
            )  # fmt: skip
        return answer.status_code, {}, answer.content

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, "http://127.0.0.1:8000/billing/stripe/webhook/", callback=forward)
        call_command(
            "billing_simulate_checkout", plan="seo", subdomain="acme", email="owner@acme.example", wait=1
        )
    out = capsys.readouterr().out
    assert "Workspace ready: http://acme.localhost:8000/" in out
    assert WebhookEvent.objects.filter(status="processed").count() == 3
    owner = _sign_in_from_welcome("acme.localhost")
    assert owner.get("/dashboard/").status_code == 200
    assert owner.get("/api/v1/campaigns/").json()["code"] == "plan_upgrade_required"


def test_the_test_portal_changes_plan_fails_and_restores_payment_and_cancels(
    local_mode, public_client, alpha
):
    from billing import simulate
    from billing.services.subscriptions import plan_change_apply
    from billing.services.webhooks import webhook_receive

    signup = Signup.objects.create(
        business_name="Alpha Movers", subdomain="alpha", email="owner@alpha.example", plan="seo", status="ready",
        tenant=alpha.tenant, checkout_session_id="cs_local_alpha",
    )  # fmt: skip
    plan_change_apply(tenant=alpha.tenant, plan="seo", initial=True)
    sub = simulate.subscription_object(
        sub_id="sub_local_alpha",
        customer_id="cus_local_alpha",
        plan_code="seo",
        status="active",
        signup_id=signup.pk,
    )
    with committing():
        simulate._store(sub)
        body, signature = simulate.signed(simulate.event("customer.subscription.created", sub))
        webhook_receive(payload=body, signature=signature)
    assert Subscription.objects.get().tenant == alpha.tenant

    owner = client_for(alpha, user=alpha.owner)
    assert "Test billing portal" in owner.get("/billing/test-portal/").content.decode()
    assert client_for(alpha, user=alpha.member).get("/billing/test-portal/").status_code == 403

    def press(**data):
        with committing():
            assert owner.post("/billing/test-portal/", data).status_code == 303

    press(plan="seo-ads", action="change")
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).feature_campaigns
    press(plan="seo-ads", action="fail")
    assert Subscription.objects.get().status == "past_due"
    assert "Your last payment to Inkwell failed" in owner.get("/billing/").content.decode()
    press(plan="seo-ads", action="pay")
    assert Subscription.objects.get().status == "active"
    press(plan="seo-ads", action="cancel")
    assert Tenant.objects.get(pk=alpha.tenant.pk).status == "canceled"
