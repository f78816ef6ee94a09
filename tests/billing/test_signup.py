"""Pricing, the signup form and its live subdomain check, Stripe Checkout, and the return pages."""

from urllib.parse import parse_qs

import pytest
import responses

from billing.models import Signup
from tests.billing.conftest import API

pytestmark = pytest.mark.usefixtures("db")
SIGNUPS_PER_HOUR = 10

FORM = {
    "business_name": "Acme Movers", "subdomain": "acme", "email": "Owner@Acme.example",
    "phone": "416 555 0199", "plan": "seo-ads",
}  # fmt: skip
SESSION = {
    "id": "cs_test_a1B2c3", "object": "checkout.session", "mode": "subscription", "status": "open",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3", "payment_status": "unpaid",
}  # fmt: skip


def test_the_pricing_page_shows_the_three_plans_and_links_to_signup(public_client, db):
    html = public_client.get("/pricing/").content.decode()
    for name, price, code in [
        ("SEO", "$500", "seo"),
        ("SEO + Ads", "$1000", "seo-ads"),
        ("Full", "$1500", "full"),
    ]:
        assert f"<h2>{name}</h2>" in html and price in html and f"/signup/?plan={code}" in html
    assert "Agent access" in html and "Chat assistant" in html


@pytest.fixture
def checkout_api(stripe_api):
    stripe_api.add(responses.POST, f"{API}/checkout/sessions", json=SESSION)
    return stripe_api


def test_signup_opens_a_subscription_checkout_carrying_the_signup(public_client, checkout_api):
    response = public_client.post("/signup/", FORM)
    assert response.status_code == 303 and response["Location"] == SESSION["url"]
    signup = Signup.objects.get()
    assert (signup.status, signup.subdomain, signup.email, signup.phone, signup.plan) == (
        "pending", "acme", "owner@acme.example", "+14165550199", "seo-ads",
    )  # fmt: skip
    assert signup.checkout_session_id == SESSION["id"] and not signup.tenant
    sent = checkout_api.calls[0].request
    params = parse_qs(sent.body)
    assert params["mode"] == ["subscription"]
    assert params["client_reference_id"] == [str(signup.pk)]
    assert params["metadata[signup_id]"] == [str(signup.pk)]
    assert params["subscription_data[metadata][signup_id]"] == [str(signup.pk)]
    assert params["line_items[0][price]"] == ["price_1QSeoAdsMonthly"]
    assert params["success_url"] == [f"http://localhost:8000/signup/done/{signup.token}/"]
    assert params["cancel_url"] == [f"http://localhost:8000/signup/?resume={signup.token}"]
    assert sent.headers["Authorization"] == "Bearer sk_test_51Test"
    assert sent.headers["Idempotency-Key"] == f"signup-{signup.token}"


@pytest.mark.parametrize(
    "subdomain, code",
    [
        ("Bad_Name!", "invalid_subdomain"),
        ("admin", "reserved_subdomain"),
        ("alpha", "subdomain_taken"),
        ("a" * 41, "max_length"),
    ],
)
def test_invalid_reserved_or_taken_subdomains_are_refused_before_payment(
    public_client, checkout_api, alpha, subdomain, code
):
    response = public_client.post("/signup/", {**FORM, "subdomain": subdomain})
    assert response.status_code == 400
    assert Signup.objects.count() == 0 and len(checkout_api.calls) == 0
    assert "Acme Movers" in response.content.decode()  # the form keeps its values


def test_a_subdomain_being_set_up_for_a_paid_signup_is_taken(public_client, checkout_api, make_signup):
    make_signup(subdomain="acme", status="paid")
    response = public_client.post("/signup/", FORM)
    assert response.status_code == 400 and "already taken" in response.content.decode()


def test_forty_characters_is_the_longest_subdomain(public_client, checkout_api):
    assert public_client.post("/signup/", {**FORM, "subdomain": "a" * 40}).status_code == 303


@pytest.mark.parametrize(
    "value, says",
    [
        ("acme", "acme.localhost is available"),
        ("alpha", "already taken"),
        ("www", "is reserved"),
        ("-x", "Use 1–40"),
    ],
)
def test_the_live_check_answers_as_you_type(public_client, alpha, value, says):
    response = public_client.get("/signup/check/", {"subdomain": value}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and says in response.content.decode()


def test_the_form_asks_htmx_to_check_the_subdomain(public_client, db):
    html = public_client.get("/signup/?plan=full").content.decode()
    assert 'hx-get="/signup/check/"' in html and 'hx-target="#subdomain-check"' in html
    assert '<option value="full" selected>' in html


def test_stripe_down_at_signup_is_a_clear_503_and_nothing_is_charged(public_client, stripe_api):
    stripe_api.add(
        responses.POST, f"{API}/checkout/sessions", json={"error": {"type": "api_error"}}, status=500
    )
    response = public_client.post("/signup/", FORM)
    assert response.status_code == 503 and "Nothing was charged" in response.content.decode()


def test_a_canceled_checkout_returns_to_the_form_with_its_values(public_client, checkout_api):
    public_client.post("/signup/", FORM)
    signup = Signup.objects.get()
    html = public_client.get(f"/signup/?resume={signup.token}").content.decode()
    assert "Payment was canceled" in html
    for value in (
        "Acme Movers",
        'value="acme"',
        "owner@acme.example",
        "+14165550199",
        f'value="{signup.token}"',
    ):
        assert value in html
    # Sending it again reuses the signup (its own subdomain is not "taken" by itself).
    checkout_api.add(responses.POST, f"{API}/checkout/sessions", json={**SESSION, "id": "cs_test_again"})
    again = public_client.post("/signup/", {**FORM, "resume": signup.token, "plan": "full"})
    assert again.status_code == 303
    assert Signup.objects.count() == 1 and Signup.objects.get().plan == "full"


def test_the_success_page_polls_until_ready(public_client, make_signup):
    signup = make_signup()
    html = public_client.get(f"/signup/done/{signup.token}/").content.decode()
    assert "Waiting for the payment confirmation" in html and 'hx-trigger="every 2s"' in html
    Signup.objects.filter(pk=signup.pk).update(status="paid")
    partial = public_client.get(f"/signup/done/{signup.token}/", HTTP_HX_REQUEST="true").content.decode()
    assert "Setting up your workspace" in partial and "every 2s" in partial and "<html" not in partial
    assert public_client.get("/signup/done/not-a-token/").status_code == 404


def test_ten_signups_an_hour_from_one_address_then_429(public_client, stripe_api, settings):
    assert settings.BILLING_SIGNUPS_PER_HOUR == SIGNUPS_PER_HOUR == 10

    for n in range(SIGNUPS_PER_HOUR):
        stripe_api.add(responses.POST, f"{API}/checkout/sessions", json={**SESSION, "id": f"cs_test_{n}"})
        assert public_client.post("/signup/", {**FORM, "subdomain": f"acme{n}"}).status_code == 303
    refused = public_client.post("/signup/", {**FORM, "subdomain": "acme-late"})
    assert refused.status_code == 429 and "Too many signups" in refused.content.decode()
    assert Signup.objects.count() == SIGNUPS_PER_HOUR and len(stripe_api.calls) == SIGNUPS_PER_HOUR


def test_signups_never_paid_for_are_deleted_after_a_week(make_signup, time_machine, settings):
    from datetime import UTC, datetime, timedelta

    from billing import tasks

    assert (
        settings.CELERY_BEAT_SCHEDULE["billing-signups-purge"]["task"] == tasks.signups_purge_abandoned.name
    )
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    make_signup(subdomain="unpaid")
    make_signup(subdomain="paid", status="paid")
    time_machine.move_to(start + timedelta(days=7), tick=False)
    assert tasks.signups_purge_abandoned() == 0
    time_machine.move_to(start + timedelta(days=7, seconds=1), tick=False)
    assert tasks.signups_purge_abandoned() == 1
    assert list(Signup.objects.values_list("subdomain", flat=True)) == ["paid"]
