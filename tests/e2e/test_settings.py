"""The owner changes the business settings from a phone; the form is saved in place by HTMX."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


def open_settings(page):
    page.get_by_role("link", name="Settings").tap()
    expect(page.get_by_role("heading", name="Business settings")).to_be_visible()
    # htmx (a deferred script) binds the live contrast check at DOMContentLoaded: a field filled
    # before then sends nothing, which a busy machine (the whole suite in parallel) made happen.
    page.wait_for_load_state("load")
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
    # shown as people write it, dialled in E.164
    expect(page.get_by_role("link", name="(416) 555-0199", exact=True)).to_have_attribute(
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


def test_colour_warnings_live_and_run_now_at_375_px(owner_page, site):
    from django_tenants.utils import tenant_context

    from marketing.models import IngestionRun
    from tests.conftest import on_own_connection

    page = owner_page
    page.set_viewport_size({"width": 375, "height": 800})
    open_settings(page)
    contrast = page.locator("#contrast")
    expect(contrast.get_by_role("alert")).to_have_count(0)
    page.get_by_label("Primary color").fill("#ffcc00")  # checked as it is picked, before saving
    expect(contrast.get_by_role("alert").first).to_contain_text(
        "Your #ffcc00 gives 1.51:1; WCAG AA needs 4.5:1."
    )
    expect(contrast).to_contain_text("Pick a darker primary colour")

    # A run starts elsewhere (another tab, the nightly schedule) after this page was loaded.
    def queue_a_run():
        with tenant_context(site.tenant):
            return IngestionRun.objects.create(
                connector="demo", window_start="2026-11-01", window_end="2026-11-05", status="queued"
            ).pk

    run_id = on_own_connection(queue_a_run)
    try:
        page.locator('[data-connector="demo"]').get_by_role("button", name="Run now").tap()
        # the 409 answer is shown in place (dashboard/settings.js), not dropped
        expect(page.locator("#connectors").get_by_role("alert").first).to_have_text(
            "Demo data is already fetching; wait for that run to finish."
        )
        assert page.evaluate("window.sameDocument") is True
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375, f"the settings page is {scroll_width}px wide on a 375px screen"
    finally:

        def remove():
            with tenant_context(site.tenant):
                IngestionRun.objects.filter(pk=run_id).delete()

        on_own_connection(remove)
