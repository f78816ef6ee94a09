"""The Content-Security-Policy blocks nothing our own pages need, in a real browser."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def test_signing_in_and_saving_settings_trip_no_policy(page, site):
    violations = []

    def watch(message):
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    sign_in_by_link(page, site)
    page.get_by_role("link", name="Settings").tap()
    page.get_by_label("Business email").fill("hello@alpha-e2e.example")
    page.get_by_role("button", name="Save settings").tap()  # an HTMX request and swap
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    assert violations == []


def test_the_api_docs_render_without_tripping_the_policy(owner_page, site):
    violations = []
    owner_page.on(
        "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
    )
    owner_page.goto("/api/docs/")
    # Swagger UI drew the schema it fetched: the title and an operation of the API
    expect(owner_page.get_by_role("heading", name="Inkwell API")).to_be_visible()
    expect(owner_page.get_by_text("/api/v1/campaigns/", exact=True).first).to_be_visible()
    assert violations == []
