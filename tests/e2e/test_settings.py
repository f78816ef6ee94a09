"""The owner changes the business settings from a phone; the form is saved in place by HTMX."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def open_settings(page):
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_role("heading", name="Business settings")).to_be_visible()
    # Survives only as long as this document does: a full page load would wipe it.
    page.evaluate("window.sameDocument = true")


def save(page):
    page.get_by_role("button", name="Save settings").tap()


def test_owner_changes_the_brand_colour_and_phone(owner_page):
    page = owner_page
    open_settings(page)
    page.get_by_label("Primary color").fill("#0f766e")
    page.get_by_label("Business phone").fill("(416) 555-0199")
    save(page)

    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    assert page.evaluate("window.sameDocument") is True
    expect(page.get_by_label("Business phone")).to_have_value("+14165550199")  # stored in E.164

    page.reload()  # the new brand colour is the page's own from now on
    expect(page.locator(".topbar")).to_have_css("background-color", "rgb(15, 118, 110)")
    page.goto("/")
    expect(page.get_by_role("link", name="+14165550199", exact=True)).to_have_attribute(
        "href", "tel:+14165550199"
    )


def test_an_invalid_phone_number_is_refused_with_a_message_by_the_field(owner_page):
    page = owner_page
    open_settings(page)
    phone = page.get_by_label("Business phone")
    before = phone.input_value()
    phone.fill("12345")
    save(page)

    field = page.locator("#config-form div").filter(has=page.get_by_label("Business phone"))
    expect(field).to_contain_text("Enter a valid phone number")
    expect(page.get_by_label("Business phone")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Settings saved.")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True

    page.reload()
    expect(page.get_by_label("Business phone")).to_have_value(before)  # nothing was stored
