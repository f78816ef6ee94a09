"""An owner signs in on a phone: by a link from their email, or by a code from an SMS."""

import re

import pytest
from playwright.sync_api import expect

from tenants.models import OutboundMessage
from tests.e2e.conftest import BUSINESS, OWNER_EMAIL, OWNER_PHONE, emailed_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def texted_code(to: str) -> str:
    sms = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.SMS, to=to).latest("created")
    return re.search(r"\b(\d{6})\b", sms.body).group(1)


def test_owner_signs_in_with_the_emailed_link_and_out_again(page, site):
    page.goto("/sign-in/")
    expect(page.get_by_role("heading", name=f"Sign in to {BUSINESS}")).to_be_visible()
    page.get_by_label("Email address").fill(OWNER_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").tap()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    link = emailed_link(OWNER_EMAIL)
    assert link.startswith(f"{site.url}/sign-in/link/")  # the email points at the tenant's own host
    page.goto(link)
    page.get_by_role("button", name=f"Continue to {BUSINESS}").tap()

    expect(page).to_have_url(f"{site.url}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.locator(".topbar .brand")).to_have_text(BUSINESS)
    expect(page.get_by_text(f"Signed in as {OWNER_EMAIL} (owner)")).to_be_visible()

    page.get_by_role("button", name="Sign out", exact=True).tap()
    expect(page).to_have_url(f"{site.url}/sign-in/")
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/dashboard/$"))

    page.goto(link)  # a link works once
    expect(page.get_by_text("expired or has already been used")).to_be_visible()


def test_owner_signs_in_with_a_code_sent_by_sms(page, site):
    page.goto("/sign-in/")
    page.get_by_role("link", name="Get a code by SMS instead").tap()
    page.get_by_label("Mobile number").fill("416 555 0333")  # typed the way people do
    page.get_by_role("button", name="Text me a code").tap()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()

    code = texted_code(OWNER_PHONE)
    page.get_by_label("6-digit code").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_text("That code is not right")).to_be_visible()

    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Sign in").tap()
    expect(page).to_have_url(f"{site.url}/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.locator(".topbar .brand")).to_have_text(BUSINESS)
