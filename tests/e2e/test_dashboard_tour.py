"""The owner's dashboard in a real browser, at 1280 px and on a 375 px phone.

The tour finds the pages in the main navigation after signing in (pages added later are toured
without editing this file) and, on each: no console error, no Content-Security-Policy violation,
no sideways scrolling of the page on the phone (a wide table scrolls in its own box), every chart
drawn, and a full-page screenshot kept under tests/e2e/artifacts/dashboard-<page>-<width>.png.
Then the owner changes the period, changes a lead's status and invites a member.

One sign-in for the module (its cookies reused by one browser context per viewport).
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from contracts.services.events import Actor
from marketing.connectors.demo import DemoConnector
from marketing.metrics import facts_changed, last_complete
from marketing.models import AdsFact, Campaign, Lead, SearchFact, TrafficFact
from marketing.services.campaigns import campaigns_sync_from_ads
from marketing.services.ingestion import facts_write
from marketing.services.leads import lead_create
from tenants.models import TenantConfig
from tenants.services.config import tenant_config_update
from tests.e2e.conftest import PHONE, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ARTIFACTS = Path(__file__).parent / "artifacts"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
NARROW = {**PHONE, "viewport": {"width": 375, "height": 812}, "device_scale_factor": 1}
DAYS_OF_FACTS = 60
# What the owner's navigation offers at least (every area on), so a navigation bug can't empty the tour.
AT_LEAST = {"Overview", "SEO", "Leads", "Campaigns", "Seasonal calendar", "Contracts", "Pages", "Settings"}
LEAD_NAME = "Linnea Tourguest"
INVITED = "new.member@alpha-e2e.example"

# Before any page script: keep every policy violation on the window, where the test reads it.
WATCH_POLICY = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
});
"""
UNDRAWN_CHARTS = """() => Array.from(document.querySelectorAll("canvas[data-chart]"))
  .filter((canvas) => typeof Chart === "undefined" || !Chart.getChart(canvas))
  .map((canvas) => canvas.dataset.chart)"""


def period_label(period) -> str:
    """The period as the dashboard writes it ("M j, Y – M j, Y")."""
    return " – ".join(f"{day:%b} {day.day}, {day.year}" for day in (period.start, period.end))


@pytest.fixture(scope="module")
def dashboard_data(site, django_db_blocker):
    """Campaigns switched on; sixty days of the demo connector's search, traffic and Ads facts; one
    new lead (committed: made before any test's transaction). The facts go at the end of the module,
    so other browser tests start from none; the lead goes with the tenant."""
    with django_db_blocker.unblock():
        config = TenantConfig.objects.get(tenant=site.tenant)
        tenant_config_update(config=config, data={"feature_campaigns": True}, actor="e2e")
    with django_db_blocker.unblock(), tenant_context(site.tenant):
        end = last_complete(tenant=site.tenant, days=1).end
        facts_write(rows=DemoConnector().fetch(site.tenant, end - timedelta(days=DAYS_OF_FACTS - 1), end))
        campaigns_sync_from_ads()
        lead, _ = lead_create(
            data={"name": LEAD_NAME, "email": "linnea@example.com", "origin": "Vaughan, ON"},
            actor=Actor(type="owner", user=site.owner),
        )
    yield lead
    with django_db_blocker.unblock(), tenant_context(site.tenant):
        for model in (SearchFact, TrafficFact, AdsFact):
            model.objects.all().delete()
        Campaign.objects.exclude(ads_campaign_id="").delete()
        facts_changed()


@pytest.fixture(scope="module")
def contexts(site, browser, dashboard_data, django_db_blocker):
    """{"1280": …, "375": …}: browser contexts signed in as the owner (one sign-in by emailed link)."""
    signing_in = browser.new_context(**PHONE, base_url=site.url)
    signing_in.set_default_timeout(5_000)
    with django_db_blocker.unblock():  # the server's requests, before any test opens the database
        sign_in_by_link(signing_in.new_page(), site)
    state = signing_in.storage_state()
    signing_in.close()
    made = {}
    for width, options in (("1280", DESKTOP), ("375", NARROW)):
        context = browser.new_context(**options, base_url=site.url, storage_state=state)
        context.set_default_timeout(5_000)
        context.add_init_script(WATCH_POLICY)
        made[width] = context
    yield made
    for context in made.values():
        context.close()


class Watched:
    """A page and what went wrong on it: console errors and uncaught exceptions."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")

    def assert_clean(self, where: str) -> None:
        assert self.errors == [], f"{where}: console errors {self.errors}"
        assert self.violations() == [], f"{where}: CSP violations {self.violations()}"


@pytest.fixture
def desktop(contexts):
    watched = Watched(contexts["1280"])
    yield watched
    watched.page.close()


def navigation(page) -> list[tuple[str, str]]:
    """(label, path) of every link in the main navigation."""
    return page.eval_on_selector_all(
        'nav[aria-label="Main"] a',
        "links => links.map(a => [a.textContent.trim(), new URL(a.href).pathname])",
    )


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


@pytest.mark.parametrize("width", ["1280", "375"])
def test_every_page_in_the_navigation_is_clean_drawn_and_fits(contexts, width):
    ARTIFACTS.mkdir(exist_ok=True)
    watched = Watched(contexts[width])
    page = watched.page
    try:
        page.goto("/dashboard/")
        pages = navigation(page)
        assert {label for label, _ in pages} >= AT_LEAST, pages
        for label, path in pages:
            # Followed from the navigation itself: on the phone it scrolls sideways to every link.
            page.locator('nav[aria-label="Main"]').get_by_role("link", name=label, exact=True).click()
            expect(page).to_have_url(re.compile(rf"^[^?#]*{re.escape(path)}$"))
            expect(page.locator('nav[aria-label="Main"] [aria-current="page"]')).to_have_text(label)
            page.wait_for_load_state()  # scripts run, charts drawn
            if path == "/dashboard/":  # at least the overview's trend chart is there to check
                expect(page.locator("canvas[data-chart]")).not_to_have_count(0)
            undrawn = page.evaluate(UNDRAWN_CHARTS)
            assert undrawn == [], f"{label}: charts not drawn: {undrawn}"
            if width == "375":
                wide, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
                assert wide <= min(inner, 375) + 1, f"{label}: the page is {wide} px wide on a 375 px phone"
                here = page.locator('nav[aria-label="Main"] [aria-current="page"]').bounding_box()
                assert here["x"] >= 0 and here["x"] + here["width"] <= inner + 1, (
                    f"{label}: its nav link is off-screen"
                )
            page.screenshot(path=ARTIFACTS / f"dashboard-{slug(label)}-{width}.png", full_page=True)
            watched.assert_clean(label)
    finally:
        page.close()


def test_changing_the_period_swaps_the_body_and_back_restores_it(desktop, site):
    page = desktop.page
    page.goto("/dashboard/")
    status = page.locator("#range-status")
    expect(status).to_contain_text(period_label(last_complete(tenant=site.tenant, days=28)))
    page.evaluate("window.sameDocument = true")  # a full page load would wipe it

    page.get_by_role("combobox", name="Period", exact=True).select_option(label="Last 7 days")
    expect(page).to_have_url(re.compile(r"/dashboard/\?(.+&)?range=7d(&|$)"))
    expect(status).to_contain_text(period_label(last_complete(tenant=site.tenant, days=7)))
    assert page.evaluate("window.sameDocument") is True
    assert page.evaluate(UNDRAWN_CHARTS) == []  # the new body's chart is drawn too

    page.go_back()
    expect(page).to_have_url(f"{site.url}/dashboard/")
    expect(status).to_contain_text(period_label(last_complete(tenant=site.tenant, days=28)))
    expect(page.get_by_role("combobox", name="Period", exact=True)).to_have_value("28d")
    expect(page.locator("canvas[data-chart]")).not_to_have_count(0)
    assert page.evaluate(UNDRAWN_CHARTS) == []
    assert page.evaluate("window.sameDocument") is True  # restored by htmx, not reloaded

    # Custom dates, the start after the end: the page says so and shows the default period.
    page.get_by_role("combobox", name="Period", exact=True).select_option(label="Custom dates")
    end = last_complete(tenant=site.tenant, days=1).end
    page.get_by_label("To", exact=True).fill(f"{end - timedelta(days=10):%Y-%m-%d}")
    page.get_by_label("From", exact=True).fill(f"{end - timedelta(days=3):%Y-%m-%d}")
    expect(status.get_by_role("alert")).to_contain_text("The start is after the end.")
    expect(status.get_by_role("alert")).to_contain_text("Showing “Last 28 days” instead.")
    assert page.evaluate("window.sameDocument") is True
    desktop.assert_clean("period changes")


def test_owner_changes_a_leads_status_from_the_leads_page(desktop, site, dashboard_data):
    page = desktop.page
    page.goto("/dashboard/")
    page.locator('nav[aria-label="Main"]').get_by_role("link", name="Leads").click()
    page.get_by_label(f"Status of {LEAD_NAME}").select_option(label="Contacted")
    with page.expect_response(lambda r: r.request.method == "POST" and "/status/" in r.url) as answer:
        page.get_by_role("button", name=f"Save status of {LEAD_NAME}").click()
    assert answer.value.status == 200
    expect(page.get_by_label(f"Status of {LEAD_NAME}")).to_have_value("contacted")

    with tenant_context(site.tenant):  # committed by the server, read here
        assert Lead.objects.get(pk=dashboard_data.pk).status == Lead.Status.CONTACTED

    page.get_by_role("link", name=LEAD_NAME).click()
    history = page.get_by_role("table").filter(has_text="Status changed")
    expect(history).to_contain_text("Status changed: new → contacted")
    desktop.assert_clean("lead status")


@pytest.fixture
def invited_gone(django_db_blocker):
    """The invited person's account is not the tenant's: removed with the tenant's data after the test."""
    from tenants.models import User

    yield
    with django_db_blocker.unblock():
        User.objects.filter(email=INVITED).delete()


def test_owner_invites_a_member_from_settings(desktop, site, invited_gone):
    page = desktop.page
    page.goto("/dashboard/")
    page.locator('nav[aria-label="Main"]').get_by_role("link", name="Settings").click()
    team = page.locator("#team")
    team.get_by_label("Email of the person to invite").fill(INVITED)
    team.get_by_role("button", name="Invite").click()
    expect(page.locator("#team").get_by_role("status")).to_contain_text(f"Invited {INVITED}")
    expect(page.locator("#team").get_by_role("table")).to_contain_text(INVITED)
    invitations = [m for m in mail.outbox if m.to == [INVITED]]
    assert len(invitations) == 1 and "/sign-in/link/" in invitations[0].body
    desktop.assert_clean("invite")
