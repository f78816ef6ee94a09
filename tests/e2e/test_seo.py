"""The SEO page on a 375 px phone: sort, search and a query's trend swap in place through htmx (the
URL follows), nothing breaks the Content-Security-Policy, and the page never scrolls sideways."""

import re
from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from marketing.connectors.base import SearchRow
from marketing.models import SearchFact
from marketing.services.ingestion import facts_write, tenant_local_today
from tests.conftest import on_own_connection
from tests.e2e.conftest import sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
QUERIES = [("movers toronto", 40, 3.0), ("car shipping to florida/miami", 12, 8.0), ("déménagement", 3, 30.0)]


@pytest.fixture
def search_facts(site):
    def write():
        with tenant_context(site.tenant):
            day = tenant_local_today(site.tenant) - timedelta(days=2)
            facts_write(
                rows=[
                    SearchRow(
                        day, q, f"http://{site.host}/p{i}/", "MOBILE", "can", clicks, 400, position, True
                    )
                    for i, (q, clicks, position) in enumerate(QUERIES)
                ]
            )

    def remove():
        with tenant_context(site.tenant):
            SearchFact.objects.all().delete()

    on_own_connection(write)
    yield
    on_own_connection(remove)


@pytest.fixture
def narrow_page(site, browser):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, base_url=site.url
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    yield page
    context.close()


def rows(page):
    return page.locator("#seo-table td.seo-item").all_inner_texts()


def test_sort_search_and_trend_in_place_on_a_phone(narrow_page, site, search_facts):
    page = narrow_page
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    sign_in_by_link(page, site)
    page.goto("/dashboard/seo/?range=7d")
    expect(page.locator("#seo-count")).to_contain_text("1–3 of 3 queries")
    assert rows(page) == [q for q, _, _ in QUERIES]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.evaluate("window.sameDocument = true")

    page.locator("#seo-table th a.sort", has_text="Position").first.tap()
    expect(page.locator('#seo-table th[aria-sort="ascending"]')).to_contain_text("Position")
    expect(page).to_have_url(f"{site.url}/dashboard/seo/?range=7d&sort=position&dir=asc")
    page.locator("#seo-table th a.sort", has_text="Position").first.tap()  # turned round
    expect(page.locator('#seo-table th[aria-sort="descending"]')).to_contain_text("Position")
    assert rows(page)[0] == "déménagement"

    page.get_by_role("searchbox", name="Search queries").fill("FLORIDA")
    page.get_by_role("searchbox", name="Search queries").press("Enter")
    expect(page.locator("#seo-count")).to_contain_text("1–1 of 1 queries")
    assert "q=FLORIDA" in page.url and "sort=position" in page.url and "dir=desc" in page.url

    page.get_by_role("link", name="car shipping to florida/miami").tap()
    expect(page.locator("#seo-trend")).to_contain_text("12 clicks")
    # drawn once htmx has settled the new content: Chart.js sizes the canvas when it draws
    expect(page.locator("#seo-trend canvas")).to_have_attribute("style", re.compile("display: block"))
    assert page.evaluate("!!Chart.getChart(document.querySelector('#seo-trend canvas'))")
    assert page.evaluate("window.sameDocument") is True  # every step swapped in place
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert violations == []
