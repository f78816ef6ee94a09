"""Every dashboard page an owner reaches from the main navigation holds under a Content-Security-Policy
without 'unsafe-inline': no inline script (json_script data excepted), no event-handler attribute, no
style attribute or <style> element. And each page's core table is in the HTML as served, so it works
without JavaScript.

The pages are discovered from the navigation, so pages added later are covered without editing this
file; a minimum set guards against a navigation bug making the test vacuous.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from contracts.models import Contract
from contracts.services.contracts import contract_create
from contracts.services.events import Actor
from marketing.connectors.base import AdsRow, SearchRow, TrafficRow
from marketing.models import SeasonalEvent
from marketing.services.campaigns import campaigns_sync_from_ads
from marketing.services.ingestion import facts_write
from marketing.services.leads import lead_create
from marketing.services.pages import page_create
from tenants.models import TenantConfig
from tests.conftest import client_for

# What the owner's navigation must at least offer (with campaigns switched on).
MINIMUM_PAGES = {
    "/dashboard/",
    "/dashboard/seo/",
    "/leads/",
    "/campaigns/",
    "/dashboard/calendar/",
    "/contracts/",
    "/pages/",
    "/dashboard/settings/",
}

LEAD = "Quillon Seedwright"
QUERY = "ship a narwhal to oslo"
CAMPAIGN = "Narwhal spring push"
CONTRACT_CUSTOMER = "Ottoline Cargoholder"
PAGE_TITLE = "Harbour freight tips"
SEASON = "Narwhal migration season"

# The datum each known page's core table shows, seeded below. Pages not listed (added later) still
# get every policy check.
CORE_CONTENT = {
    "/dashboard/": LEAD,  # the latest leads
    "/dashboard/seo/": QUERY,
    "/leads/": LEAD,
    "/campaigns/": CAMPAIGN,
    "/dashboard/calendar/": SEASON,
    "/contracts/": CONTRACT_CUSTOMER,
    "/pages/": PAGE_TITLE,
    "/dashboard/settings/": "member@alpha.example",  # the team
}
# Pages whose core content is a list rather than a table (yet): it must still be in the served HTML.
NOT_A_TABLE = {"/dashboard/calendar/"}


class PageAudit(HTMLParser):
    """Reads a served page: what the policy would block, the main navigation's links, and the text
    inside tables and inside <main>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.nav_links: list[str] = []
        self.table_text: list[str] = []
        self.main_text: list[str] = []
        self._nav_depth = 0  # > 0 inside <nav aria-label="Main">
        self._table_depth = 0
        self._main_depth = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on") or name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}=…>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>: an inline style")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        if tag == "style":
            self.problems.append("<style> element: an inline style sheet")
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.problems.append(f"<script {values}> without src: an inline script")
        if tag == "nav" and (self._nav_depth or values.get("aria-label") == "Main"):
            self._nav_depth += 1
        if tag == "a" and self._nav_depth and values.get("href"):
            self.nav_links.append(values["href"])
        self._table_depth += tag == "table"
        self._main_depth += tag == "main"

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        if tag == "table" and self._table_depth:
            self._table_depth -= 1
        if tag == "main" and self._main_depth:
            self._main_depth -= 1

    def handle_data(self, data):
        if self._table_depth:
            self.table_text.append(data)
        if self._main_depth:
            self.main_text.append(data)


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


@pytest.fixture
def seeded(alpha, django_capture_on_commit_callbacks):
    """The alpha tenant with one of everything a core table shows, and campaigns switched on."""
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_campaigns=True)
    actor = Actor(type="owner", user=alpha.owner)
    day = timezone.localdate() - timedelta(days=3)
    with tenant_context(alpha.tenant):
        lead_create(data={"name": LEAD, "email": "quillon@example.com", "source": "form"}, actor=actor)
        contract_create(
            data=dict(
                customer_name=CONTRACT_CUSTOMER,
                customer_phone="+14165550777",
                contact_preference="sms",
                vehicle_year=2020,
                vehicle_make="Mazda",
                vehicle_model="CX-5",
                origin="Toronto, ON",
                destination="Oslo, Norway",
                service_type=Contract.ServiceType.RORO,
                rate=Decimal("3100.00"),
            ),
            actor=actor,
        )
        page_create(data={"slug": "harbour-freight-tips", "title": PAGE_TITLE, "body": "Tips."}, actor=actor)
        SeasonalEvent.objects.create(name=SEASON, start_month=4, start_day=1, end_month=6, end_day=30)
        facts_write(
            rows=[
                SearchRow(day, QUERY, "https://alpha.example/narwhals/", "MOBILE", "can", 7, 90, 3.2, True),
                TrafficRow(day, "Organic Search", "/narwhals/", 12, 10, 8, 9, 0.4, 61.0, {"lead_form": 1}),
                AdsRow(day, "c-1", CAMPAIGN, 400, 31, Decimal("52.10"), Decimal("2")),
            ]
        )
        campaigns_sync_from_ads()  # as ingestion does after writing Ads facts
    return alpha


def test_every_page_in_the_owners_navigation_holds_under_the_policy_and_serves_its_table(seeded):
    client = client_for(seeded, user=seeded.owner)
    first = client.get("/dashboard/")
    assert first.status_code == 200
    pages = {urlsplit(href).path for href in audit(first.content.decode()).nav_links}
    assert pages >= MINIMUM_PAGES, f"missing from the navigation: {sorted(MINIMUM_PAGES - pages)}"

    for path in sorted(pages):
        response = client.get(path)
        assert response.status_code == 200, path
        directives = policy(response)
        for name in ("script-src", "style-src"):
            assert name in directives, f"{path}: no {name} in the Content-Security-Policy"
            for source in (*directives[name], *directives.get("default-src", [])):
                assert source.lower() not in ("'unsafe-inline'", "'unsafe-eval'"), f"{path}: {name} {source}"
        page = audit(response.content.decode())
        assert page.problems == [], path
        if path in CORE_CONTENT:
            where = page.main_text if path in NOT_A_TABLE else page.table_text
            assert CORE_CONTENT[path] in " ".join(where), f"{path}: {CORE_CONTENT[path]!r} not served"


# Links one click from a navigation page that are not pages to audit: files, and signing out.
NOT_PAGES = re.compile(r"^/(static|media)/|\.(csv|pdf|css|xml|txt|ico|svg|png)$|^/sign-in/")


def test_pages_one_click_from_the_navigation_hold_under_the_policy_too(seeded):
    """Detail, editor and form pages (a lead, a contract, a page's editor, settings' subpages) are
    linked from the navigation's pages: the same rules hold on each."""
    client = client_for(seeded, user=seeded.owner)
    nav = {urlsplit(href).path for href in audit(client.get("/dashboard/").content.decode()).nav_links}
    linked = set()
    for path in nav:
        html = client.get(path).content.decode()
        linked |= {urlsplit(href).path for href in re.findall(r'<a [^>]*href="(/[^"]*)"', html)}
    deeper = sorted(path for path in linked - nav if not NOT_PAGES.search(path))
    assert {"/leads/import/", "/contracts/new/"} <= set(deeper), deeper  # the crawl found something
    for path in deeper:
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert audit(response.content.decode()).problems == [], path


def test_the_audit_reports_each_kind_of_inline_code_and_style():
    """The page check itself: each thing the policy blocks is reported, json_script data is not."""
    page = audit(
        '<nav aria-label="Main"><a href="/a/">A</a></nav><nav aria-label="Pages"><a href="/b/">B</a></nav>'
        '<script type="application/json" id="d">{}</script><script src="/s.js"></script>'
        '<script>alert(1)</script><button onclick="x()">x</button><div hx-on:click="x()"></div>'
        '<p style="color: red">p</p><style>p {}</style><a href="javascript:x()">j</a>'
        "<main><table><tr><td>in a table</td></tr></table>outside</main>"
    )
    assert len(page.problems) == 6
    for words in ("inline script", "onclick", "hx-on:click", "inline style", "<style>", "javascript:"):
        assert any(words in problem for problem in page.problems), words
    assert page.nav_links == ["/a/"]
    assert " ".join(page.table_text) == "in a table"
    assert "outside" in " ".join(page.main_text)
