"""The quote form on a tenant's home page (POST /quote/): spam checks before anything is stored,
then the lead pipeline (dedupe, owner notified once). The host decides whose lead it is."""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from marketing.models import Lead, LeadEvent
from marketing.services.spam import HONEYPOT_FIELD, PER_IP_LIMIT, STAMP_FIELD, form_stamp_issue
from tenants.models import OutboundMessage
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _form(**extra) -> dict:
    """What a visitor who had the page open for a minute sends."""
    return {
        "name": "Marco Rossi",
        "phone": "416 555 0188",
        "email": "marco@example.com",
        "service_type": "roro",
        "origin": "Vaughan, ON",
        "destination": "Palermo, Italy",
        "preferred_date": "2027-04-01",
        "vehicle": "2018 Jeep Cherokee",
        "message": "Moving back home in spring.",
        "consent": "on",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "spring",
        "landing_page": "/?utm_source=google",
        "referrer": "https://www.google.com/",
        STAMP_FIELD: form_stamp_issue(now=time.time() - 60),
        HONEYPOT_FIELD: "",
        **extra,
    }


def _leads(world) -> list[Lead]:
    with tenant_context(world.tenant):
        return list(Lead.objects.all())


def _owner_texts(world):
    return OutboundMessage.objects.filter(channel="sms", to=world.owner.phone)


def test_the_home_page_shows_the_form_with_the_visit_in_hidden_fields(alpha):
    client = client_for(alpha, enforce_csrf_checks=True)
    page = client.get("/?utm_source=google&utm_campaign=spring", HTTP_REFERER="https://www.google.com/")
    html = page.content.decode()
    assert 'action="/quote/"' in html
    assert 'name="utm_source" value="google"' in html and 'name="utm_campaign" value="spring"' in html
    assert 'name="referrer" value="https://www.google.com/"' in html
    assert 'name="landing_page" value="/?utm_source=google&amp;utm_campaign=spring"' in html
    # No CSRF token or cookie: a visitor has no session to protect, and the page stays cacheable.
    # What the form has to show is the signed stamp of when it was shown.
    assert "csrfmiddlewaretoken" not in html and "csrftoken" not in page.cookies
    stamp = re.search(rf'name="{STAMP_FIELD}" value="([^"]+)"', html).group(1)
    assert Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True).post("/quote/", _form()).status_code == 200
    assert client.post("/quote/", _form(**{STAMP_FIELD: stamp})).status_code == 400  # shown just now


def test_a_valid_request_makes_one_lead_and_tells_the_owner_once(alpha, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alpha).post("/quote/", _form(), HTTP_USER_AGENT="Phone")
    assert response.status_code == 200 and "call you back" in response.content.decode()
    [lead] = _leads(alpha)
    assert (lead.source, lead.phone, lead.email, lead.consent) == (
        "form",
        "+14165550188",
        "marco@example.com",
        True,
    )
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "spring")
    assert (lead.landing_page, lead.referrer) == ("/?utm_source=google", "https://www.google.com/")
    assert str(lead.preferred_date) == "2027-04-01" and lead.vehicle == "2018 Jeep Cherokee"
    with tenant_context(alpha.tenant):
        assert lead.events.get().actor_label == "quote form"
    assert _owner_texts(alpha).count() == 1
    assert [m.to for m in mail.outbox] == [[alpha.owner.email]]


@pytest.mark.parametrize(
    "extra, message",
    [
        ({HONEYPOT_FIELD: "http://spam.example"}, "could not be sent"),
        ({STAMP_FIELD: form_stamp_issue(now=time.time() + 3600)}, "That was quick"),
        ({STAMP_FIELD: "forged"}, "reload the page"),
        ({"phone": "12"}, "phone"),
        ({"phone": "", "email": ""}, "Give a phone number or an email."),
        ({"consent": ""}, "This field is required."),
    ],
    ids=["honeypot", "too-fast", "forged-stamp", "invalid-phone", "no-contact", "no-consent"],
)
def test_a_refused_request_stores_nothing_and_says_why(
    alpha, django_capture_on_commit_callbacks, extra, message
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alpha).post("/quote/", _form(**extra))
    assert response.status_code == 400
    assert message in response.content.decode() and 'action="/quote/"' in response.content.decode()
    assert _leads(alpha) == []
    assert not _owner_texts(alpha).exists() and mail.outbox == []


def test_the_time_to_submit_limit_at_and_one_past(alpha, settings):
    settings.LEAD_FORM_MIN_SECONDS = 30
    shown = time.time()
    at_limit = _form(**{STAMP_FIELD: form_stamp_issue(now=shown - 31)})
    too_soon = _form(**{STAMP_FIELD: form_stamp_issue(now=shown - 28)}, email="other@example.com", phone="")
    assert client_for(alpha).post("/quote/", too_soon).status_code == 400
    assert client_for(alpha).post("/quote/", at_limit).status_code == 200
    assert len(_leads(alpha)) == 1


def test_the_per_address_limit_at_and_one_past(alpha):
    limit, _ = PER_IP_LIMIT
    client = client_for(alpha, REMOTE_ADDR="203.0.113.7")
    for n in range(limit):
        assert client.post("/quote/", _form(phone="", email=f"visitor{n}@example.com")).status_code == 200
    assert len(_leads(alpha)) == limit
    refused = client.post("/quote/", _form(phone="", email="one-more@example.com"))
    assert refused.status_code == 429 and "several requests" in refused.content.decode()
    assert "Retry-After" in refused.headers
    assert len(_leads(alpha)) == limit
    other = client_for(alpha, REMOTE_ADDR="203.0.113.8")
    assert other.post("/quote/", _form(phone="", email="neighbour@example.com")).status_code == 200


def test_the_same_visitor_within_30_days_is_merged(alpha, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(alpha).post("/quote/", _form())
        again = client_for(alpha).post("/quote/", _form(message="Also a second car."))
    assert again.status_code == 200
    [lead] = _leads(alpha)
    with tenant_context(alpha.tenant):
        assert lead.events.filter(kind=LeadEvent.Kind.DUPLICATE, note__contains="second car").count() == 1
    assert _owner_texts(alpha).count() == 1 and len(mail.outbox) == 1


def test_the_host_decides_whose_lead_it_is(alpha, beta):
    beta_before = len(_leads(beta))
    assert client_for(alpha).post("/quote/", _form()).status_code == 200
    assert len(_leads(alpha)) == 1
    assert len(_leads(beta)) == beta_before


def test_a_bot_posting_only_the_honeypot_is_refused(alpha):
    response = client_for(alpha).post("/quote/", {HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 400 and _leads(alpha) == []


def test_one_form_makes_one_lead_a_replayed_stamp_is_refused(alpha):
    sent = _form(phone="", email="first@example.com")
    assert client_for(alpha).post("/quote/", sent).status_code == 200
    replay = client_for(alpha).post("/quote/", {**sent, "email": "second@example.com"})
    assert replay.status_code == 400 and "We already have this request" in replay.content.decode()
    assert [lead.email for lead in _leads(alpha)] == ["first@example.com"]


def test_a_refused_form_can_still_be_sent_once_corrected(alpha):
    sent = _form(phone="12", email="")
    assert client_for(alpha).post("/quote/", sent).status_code == 400  # no lead: the stamp stays unused
    assert client_for(alpha).post("/quote/", {**sent, "phone": "416 555 0188"}).status_code == 200
    assert len(_leads(alpha)) == 1


@pytest.mark.parametrize(
    "headers, ok",
    [
        ({"HTTP_ORIGIN": "https://evil.example"}, False),
        ({"HTTP_SEC_FETCH_SITE": "cross-site"}, False),
        ({"HTTP_ORIGIN": "http://alpha.localhost", "HTTP_SEC_FETCH_SITE": "same-origin"}, True),
        ({}, True),  # an old browser or a privacy tool that sends neither
    ],
)
def test_another_sites_page_cannot_post_the_form(alpha, headers, ok):
    response = client_for(alpha).post("/quote/", _form(), **headers)
    assert response.status_code == (200 if ok else 400)
    assert len(_leads(alpha)) == (1 if ok else 0)
    if not ok:
        assert "Please send this form from our own website." in response.content.decode()
