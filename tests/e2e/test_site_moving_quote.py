"""A visitor on a phone finds the moving page, reads an answer, asks for a quote; the owner finds the lead.

The moving page is the demo tenant's own (marketing/demo_pages.py: a hero, text, an FAQ and a quote
block), written and published on the e2e tenant through the page services, so what is checked here is
the page a real visitor gets: served to a visitor from the site cache, with the quote form's
per-visitor fields filled in.
"""

import pytest
from django.test.utils import override_settings
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PHONE_NUMBER = "+14165550144"
FAQ_QUESTION = "How far ahead should I book my move?"
FAQ_ANSWER = "Four to six weeks for a local move"


@pytest.fixture(scope="module")
def moving_page(site, django_db_blocker):
    """The demo's moving page, published on the e2e tenant by its owner (committed: the server is
    another thread with its own connection), with a business phone so the header and hero carry
    their call buttons as on a real site. Removed, and the phone put back, when the module is done."""
    from contracts.services.events import Actor
    from marketing.demo_pages import PAGES
    from marketing.services.pages import page_create, page_delete, page_publish
    from tenants.models import TenantConfig
    from tenants.services.config import tenant_config_update

    slug, title, body, description = next(p for p in PAGES if p[0] == "moving")
    actor = Actor(type="owner", user=site.owner)
    with django_db_blocker.unblock():
        config = TenantConfig.objects.get(tenant=site.tenant)
        phone_before = config.business_phone
        tenant_config_update(config=config, data={"business_phone": PHONE_NUMBER}, actor="e2e")
        with tenant_context(site.tenant):
            page = page_create(
                data={"slug": slug, "title": title, "body": body, "seo_description": description}, actor=actor
            )
            page_publish(page=page, actor=actor)
    yield page
    with django_db_blocker.unblock():
        with tenant_context(site.tenant):
            page_delete(page=page, actor=actor)
        config = TenantConfig.objects.get(tenant=site.tenant)
        tenant_config_update(config=config, data={"business_phone": phone_before}, actor="e2e")


def watch_console(page) -> list[str]:
    """Every error the page reports: failed loads, CSP violations (Chromium logs them as console
    errors), uncaught exceptions."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the phone's screen (0 or less: no sideways
    scrolling). Measured against the device's width, not only innerWidth: a mobile browser widens
    its layout viewport (and zooms out) to fit a page that is too wide at load."""
    width = PHONE["viewport"]["width"]
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return max(scroll_width, inner_width) - width


# The browser can't be made to wait by moving the clock, and tests don't sleep: the time-to-submit
# check is off here, as in test_quote_form.py (tests/marketing/test_quote_form.py covers it).
@override_settings(LEAD_FORM_MIN_SECONDS=0)
def test_a_visitor_asks_for_a_moving_quote_on_a_phone_and_the_owner_sees_the_lead(site, page, moving_page):
    errors = watch_console(page)
    page.goto("/moving/?utm_source=google&utm_medium=cpc&utm_campaign=moving-spring")

    hero = page.get_by_role("heading", level=1)
    expect(hero).to_have_text("Moving? We've moved Ontario families for 44 years.")
    expect(hero).to_be_in_viewport()  # the first thing a visitor sees, without scrolling
    expect(page.get_by_role("link", name="Get a free quote")).to_be_in_viewport()
    assert horizontal_overflow(page) <= 0

    answer = page.get_by_text(FAQ_ANSWER)
    expect(answer).to_be_hidden()
    page.get_by_text(FAQ_QUESTION).tap()
    expect(answer).to_be_visible()
    assert horizontal_overflow(page) <= 0

    page.get_by_role("link", name="Get a free quote").tap()
    expect(page.get_by_role("heading", name="Get a free moving quote")).to_be_in_viewport()
    page.get_by_label("Name").fill("Laura Esposito")
    page.get_by_label("Phone").fill("(905) 555-0163")
    page.get_by_label("Email").fill("laura.esposito@example.com")
    page.get_by_role("combobox", name="Service").select_option("domestic_moving")
    page.get_by_label("From").fill("Woodbridge, ON")
    page.get_by_label("To:", exact=True).fill("Ottawa, ON")
    page.get_by_label("Message").fill("Three-bedroom house, piano included, mid-June.")
    page.get_by_label("You may contact me about this request").check()
    assert horizontal_overflow(page) <= 0
    page.get_by_role("button", name="Request my quote").tap()

    expect(page.get_by_role("heading", name="Thank you, Laura Esposito!")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("we'll call you back")
    expect(page.get_by_role("link", name="Back to Alpha E2E Movers")).to_have_attribute("href", "/moving/")
    assert errors == []

    sign_in_by_link(page, site)
    page.goto("/leads/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Laura Esposito"))
    expect(row).to_contain_text("Woodbridge, ON → Ottawa, ON")
    expect(row).to_contain_text("Quote form")
    row.get_by_role("link", name="Laura Esposito").tap()
    expect(page.get_by_role("heading", name="Laura Esposito")).to_be_visible()
    expect(page.get_by_text("Quote form — /moving/?utm_source=google")).to_be_visible()
    expect(page.get_by_text("google / cpc / moving-spring")).to_be_visible()
    expect(page.get_by_role("link", name="+19055550163")).to_be_visible()
