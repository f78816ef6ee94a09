"""The owner works the leads on a 375 px phone: the pipeline board, a status changed with the
keyboard alone, the details panel, filters kept in the address, and no script or style blocked."""

import re
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from contracts.services.events import Actor
from marketing.models import Lead
from tests.conftest import on_own_connection
from tests.e2e.conftest import PHONE, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots for a person to look at (ignored by git)


def add_lead(site, name: str, phone: str) -> Lead:
    from marketing.services.leads import lead_create

    def work():
        with tenant_context(site.tenant):
            actor = Actor(type="owner", user=site.owner)
            return lead_create(data={"name": name, "phone": phone, "source": "phone"}, actor=actor)[0]

    return on_own_connection(work)


def test_the_board_on_a_phone_by_keyboard(site, browser):
    lead = add_lead(site, "Board Keyboard", "+14165550901")
    context = browser.new_context(**{**PHONE, "viewport": {"width": 375, "height": 740}}, base_url=site.url)
    context.set_default_timeout(5_000)
    page = context.new_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    sign_in_by_link(page, site)

    page.goto("/leads/?q=board+keyboard&view=board")
    new_column = page.locator("section.board-col.board-new")
    contacted_column = page.locator("section.board-col.board-contacted")
    expect(new_column.get_by_role("link", name="Board Keyboard")).to_be_visible()
    # The columns stack: each is as wide as the screen allows and nothing scrolls sideways.
    new_box, contacted_box = new_column.bounding_box(), contacted_column.bounding_box()
    assert new_box["width"] > 300 and contacted_box["y"] > new_box["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Keyboard only: focus the card's status, pick "Contacted", Tab to Save and press Enter.
    select = page.locator(f"#status-card-{lead.pk}")
    select.focus()
    select.select_option("contacted")
    page.keyboard.press("Tab")
    expect(page.locator(f"#card-{lead.pk} button")).to_be_focused()
    page.keyboard.press("Enter")
    # The board reloads its results: the card is in the Contacted column, the counts follow.
    expect(contacted_column.get_by_role("link", name="Board Keyboard")).to_be_visible()
    expect(new_column.get_by_role("link", name="Board Keyboard")).to_have_count(0)
    expect(contacted_column.locator(".count")).to_have_text("1")
    expect(page.locator(f"#save-card-{lead.pk}")).to_be_focused()  # focus moved with the card
    assert page.url.endswith("/leads/?q=board+keyboard&view=board")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "leads-board-phone.png", full_page=True, caret="initial")

    # Enter on the name opens the details panel (not a new page) with the change in the history.
    contacted_column.get_by_role("link", name="Board Keyboard").focus()
    page.keyboard.press("Enter")
    panel = page.locator("#lead-panel")
    expect(panel.get_by_role("heading", name="Board Keyboard")).to_be_focused()
    expect(panel.get_by_text("new → contacted")).to_be_visible()
    assert page.url.endswith("/leads/?q=board+keyboard&view=board")
    page.screenshot(path=ARTIFACTS / "leads-panel-phone.png", full_page=True, caret="initial")

    # A filter swaps the results and puts itself in the address.
    page.get_by_label("Status", exact=True).select_option("won")
    expect(page.get_by_text("0 leads")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads/\?view=board&q=board(\+|%20)keyboard&status=won&source=$"))
    assert violations == []
    context.close()
