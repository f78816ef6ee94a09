"""The SEO page: the queries and pages tables (sort, search, pages through the URL; htmx gets the
table alone), biggest movers, the position distribution, a query's or page's daily trend — values
equal to the selectors', constant query counts, bad parameters, and a member of two tenants."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from marketing.connectors.base import SearchRow
from marketing.metrics import (
    Period,
    biggest_movers,
    dimension_series,
    facts_changed,
    position_distribution,
    search_dimension_table,
)
from marketing.models import SearchFact
from marketing.services.ingestion import facts_write
from tenants.models import Membership
from tests.conftest import client_for

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 24 Nov, 10:00 in Toronto
WEEK = Period(date(2026, 11, 17), date(2026, 11, 23))  # ?range=7d
ODD = "déménagement a/b & c+d"  # spaces, a slash, an ampersand, a plus, accents


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _row(day, query, clicks, impressions, position=5.0, page="/moving/", host="alpha.example"):
    return SearchRow(
        day, query, f"https://{host}{page}", "MOBILE", "can", clicks, impressions, position, True
    )


@pytest.fixture
def alpha_data(alpha):
    with tenant_context(alpha.tenant):
        facts_write(
            rows=[
                _row(date(2026, 11, 18), "movers vaughan", 30, 1000),
                _row(date(2026, 11, 12), "movers vaughan", 20, 800),
                _row(
                    date(2026, 11, 20), "car shipping to florida", 10, 500, 8.0, "/car-shipping-to-florida/"
                ),
                _row(date(2026, 11, 19), ODD, 2, 100, 25.0, "/demenagement/"),
                _row(date(2026, 11, 11), ODD, 5, 100, 12.0, "/demenagement/"),
                _row(date(2026, 11, 21), "truck rental", 0, 50, 2.0, "/trucks/"),
            ]
        )
    return alpha


def page(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response, response.content.decode()


def names(html: str) -> list[str]:
    """The queries or pages in the table, top to bottom."""
    table = html.split('id="seo-table"', 1)[-1] if 'id="seo-table"' in html else html
    return [unescape(m) for m in re.findall(r'<td class="seo-item"><a [^>]*>([^<]*)</a>', table)]


def test_member_sees_the_selectors_numbers(alpha_data):
    response, html = page(client_for(alpha_data, user=alpha_data.member), "/dashboard/seo/?range=7d")
    with tenant_context(alpha_data.tenant):
        total, rows = search_dimension_table(dimension="query", period=WEEK, limit=25)
        movers = biggest_movers(tenant=alpha_data.tenant, dimension="query", current=WEEK)
        distribution = position_distribution(dimension="query", period=WEEK)
    assert response.context["total"] == total == 4
    assert [
        {k: v for k, v in r.items() if k not in ("label", "trend_url")} for r in response.context["rows"]
    ] == rows
    assert names(html) == ["movers vaughan", "car shipping to florida", ODD, "truck rental"]
    assert "1–4 of 4 queries" in html
    assert "3.0 %" in html and "+10" in html  # movers vaughan's CTR, its click change
    shown = {title: [r["query"] for r in items] for title, _, items in response.context["mover_lists"]}
    assert (
        shown["Gained clicks"]
        == [r["query"] for r in movers["gained_clicks"]]
        == [
            "car shipping to florida",
            "movers vaughan",
        ]
    )
    assert shown["Lost clicks"] == [ODD]
    assert shown["Fell in position"] == [ODD]  # 12 → 25
    assert (
        response.context["distribution"]
        == distribution
        == [
            {"bucket": "1–3", "count": 1, "clicks": 0, "impressions": 50},
            {"bucket": "4–10", "count": 2, "clicks": 40, "impressions": 1500},
            {"bucket": "11–20", "count": 0, "clicks": 0, "impressions": 0},
            {"bucket": "21+", "count": 1, "clicks": 2, "impressions": 100},
        ]
    )
    assert 'data-chart="seo-distribution-data"' in html and '<th scope="row">11–20</th>' in html


def test_pages_tab(alpha_data):
    _, html = page(client_for(alpha_data, user=alpha_data.member), "/dashboard/seo/?range=7d&tab=pages")
    assert names(html)[:2] == [
        "https://alpha.example/moving/",
        "https://alpha.example/car-shipping-to-florida/",
    ]
    assert 'aria-current="page">Pages</a>' in html
    _, html = page(
        client_for(alpha_data, user=alpha_data.member), "/dashboard/seo/?range=7d&sort=ctr&q=x&page=2"
    )
    assert 'href="/dashboard/seo/?range=7d&amp;tab=pages"' in html  # a new tab starts afresh


def test_positions_are_bucketed_as_whole_positions(alpha):
    positions = {"a": 3.49, "b": 3.5, "c": 10.49, "d": 10.5, "e": 20.49, "f": 20.5}
    with tenant_context(alpha.tenant):
        facts_write(rows=[_row(date(2026, 11, 20), q, 1, 10, p) for q, p in positions.items()])
        counts = [b["count"] for b in position_distribution(dimension="query", period=WEEK)]
    assert counts == [1, 2, 2, 1]  # 3.49 | 3.5, 10.49 | 10.5, 20.49 | 20.5


def test_sorting_round_trips_through_the_url(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    _, html = page(client, "/dashboard/seo/?range=7d&sort=position")
    assert names(html) == ["truck rental", "movers vaughan", "car shipping to florida", ODD]
    assert re.search(r'<th scope="col" class="num" aria-sort="ascending">\s*<a href="([^"]*)"', html)
    assert html.count("aria-sort=") == 1
    flipped = unescape(re.search(r'aria-sort="ascending">\s*<a href="([^"]*)"', html).group(1))
    assert "sort=position" in flipped and "dir=desc" in flipped and "range=7d" in flipped
    _, html = page(client, flipped)
    assert names(html) == [ODD, "car shipping to florida", "movers vaughan", "truck rental"]
    assert 'aria-sort="descending"' in html
    _, html = page(client, "/dashboard/seo/?range=7d&sort=ctr")
    assert names(html) == ["movers vaughan", "car shipping to florida", ODD, "truck rental"]
    _, html = page(client, "/dashboard/seo/?range=7d&sort=click_change&dir=asc")
    assert names(html)[0] == ODD  # lost 3 clicks
    _, html = page(client, "/dashboard/seo/?range=7d&sort=position_change")
    assert names(html)[0] == "movers vaughan"  # unchanged beats fallen; no position before stays last


def test_search_is_case_insensitive_and_kept_by_the_sort_links(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    _, html = page(client, "/dashboard/seo/?range=7d&q=VAUGHAN")
    assert names(html) == ["movers vaughan"]
    assert "1–1 of 1 queries containing “VAUGHAN”" in html
    assert 'href="/dashboard/seo/?range=7d&amp;q=VAUGHAN&amp;sort=impressions&amp;dir=desc"' in html
    _, html = page(client, "/dashboard/seo/?range=7d&q=a/b %26 c")
    assert names(html) == [ODD]
    _, html = page(client, "/dashboard/seo/?range=7d&q=nothing like it")
    assert names(html) == [] and "No queries containing" in html


@pytest.fixture
def many_queries(alpha):
    with tenant_context(alpha.tenant):
        facts_write(rows=[_row(date(2026, 11, 20), f"query {i:02}", 60 - i, 100) for i in range(30)])
    return alpha


def test_pages_of_25_with_the_total(many_queries):
    client = client_for(many_queries, user=many_queries.member)
    _, html = page(client, "/dashboard/seo/?range=7d")
    assert len(names(html)) == 25 and "1–25 of 30 queries" in html and "Page 1 of 2" in html
    following = unescape(re.search(r'<a rel="next" href="([^"]*)"', html).group(1))
    assert following == "/dashboard/seo/?range=7d&page=2"
    _, html = page(client, following)
    assert names(html) == [f"query {i:02}" for i in range(25, 30)] and "26–30 of 30 queries" in html
    assert 'rel="next"' not in html and 'rel="prev"' in html
    # a new sort or search starts at page 1
    assert 'href="/dashboard/seo/?range=7d&amp;sort=impressions&amp;dir=desc"' in html


@pytest.mark.parametrize(
    "query, message, first",
    [
        ("page=0", "No such page: showing the first one.", "query 00"),
        ("page=-3", "No such page: showing the first one.", "query 00"),
        ("page=abc", "No such page: showing the first one.", "query 00"),
        ("page=10001", "No such page: showing the first one.", "query 00"),
        ("page=3", "There are only 2 pages: showing the last one.", "query 25"),
        ("page=10000", "There are only 2 pages: showing the last one.", "query 25"),
        ("sort=revenue", "Unknown sort: sorted by clicks instead.", "query 00"),
        ("sort=clicks&dir=sideways", "Unknown sort direction", "query 00"),
        ("tab=keywords", "Unknown tab: showing search queries.", "query 00"),
        ("q=" + "x" * 201, "Search for at most 200 characters: showing everything.", "query 00"),
        # PostgreSQL can't compare text with a NUL character: refused here, not a server error
        ("q=query%0001", "A search can't contain a NUL character: showing everything.", "query 00"),
    ],
)
def test_bad_parameters_fall_back_and_say_so(many_queries, query, message, first):
    _, html = page(client_for(many_queries, user=many_queries.member), f"/dashboard/seo/?range=7d&{query}")
    assert message in unescape(html)
    assert names(html)[0] == first


def test_a_search_of_200_characters_is_accepted(many_queries):
    _, html = page(
        client_for(many_queries, user=many_queries.member), "/dashboard/seo/?range=7d&q=" + "x" * 200
    )
    assert "Search for at most" not in html and names(html) == []


def test_htmx_gets_the_table_alone_or_the_body(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    _, table = page(
        client, "/dashboard/seo/?range=7d&sort=ctr", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="seo-table"
    )
    assert "<html" not in table and "Biggest movers" not in table and 'id="seo-table"' not in table
    assert names(table)[0] == "movers vaughan" and "1–4 of 4 queries" in table
    assert (
        '<span id="seo-search-state" hx-swap-oob="true"><input type="hidden" name="sort" value="ctr">'
        in table
    )
    # the period picker (outside the table) keeps the new sort for the next change of period
    assert (
        '<span id="range-keep" hx-swap-oob="true"><input type="hidden" name="sort" value="ctr"></span>'
        in table
    )
    _, body = page(client, "/dashboard/seo/?range=7d", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dash-body")
    assert "<html" not in body and "Biggest movers" in body and 'id="seo-table"' in body
    _, full = page(client, "/dashboard/seo/?range=7d")
    assert "<html" in full and "Biggest movers" in full
    # the table's links swap the table and push the URL; rows open the trend panel
    assert 'hx-target="#seo-table" hx-push-url="true"' in full and 'hx-target="#seo-trend"' in full


def test_the_trend_of_a_query_on_click(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    response, html = page(client, "/dashboard/seo/?range=7d")
    link = next(r["trend_url"] for r in response.context["rows"] if r["query"] == ODD)
    assert "value=d%C3%A9m%C3%A9nagement+a%2Fb+%26+c%2Bd" in link and "range=7d" in link
    _, panel = page(client, link, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="seo-trend")
    assert "<html" not in panel and 'data-chart="seo-trend-data"' in panel
    with tenant_context(alpha_data.tenant):
        series = dimension_series(dimension="query", value=ODD, period=WEEK)
    assert [p["clicks"] for p in series] == [0, 0, 2, 0, 0, 0, 0]
    drawn = json.loads(
        re.search(r'<script id="seo-trend-data" type="application/json">(.*?)</script>', panel).group(1)
    )
    assert drawn["labels"] == [p["day"] for p in series]
    assert drawn["datasets"][0]["data"] == [p["clicks"] for p in series]
    assert drawn["datasets"][1]["data"] == [p["impressions"] for p in series]
    assert "2 clicks and 100 impressions" in panel
    _, full = page(client, link)  # without JavaScript: a page of its own, numbers in a table
    assert (
        "<html" in full
        and "2 clicks and 100 impressions" in full
        and '<th scope="row">2026-11-19</th>' in full
    )


def test_the_trend_of_a_page(alpha_data):
    _, html = page(
        client_for(alpha_data, user=alpha_data.member),
        "/dashboard/seo/trend/?range=7d&dimension=page&value=https://alpha.example/moving/",
    )
    assert re.search(r"30 clicks and 1\D000 impressions", html) and "tab=pages" in html


@pytest.mark.parametrize(
    "query",
    ["dimension=country&value=can", "dimension=query", "dimension=query&value=" + "x" * 1001, "value=x"],
)
def test_a_bad_trend_is_refused_with_a_message(alpha_data, query):
    response = client_for(alpha_data, user=alpha_data.member).get(f"/dashboard/seo/trend/?{query}")
    assert response.status_code == 400
    assert "choose one from the table on the SEO page" in unescape(response.content.decode())


def test_a_trend_value_of_1000_characters_is_accepted(alpha_data):
    response = client_for(alpha_data, user=alpha_data.member).get(
        "/dashboard/seo/trend/?dimension=page&value=" + "x" * 1000
    )
    assert response.status_code == 200 and "0 clicks and 0 impressions" in response.content.decode()


def test_a_member_of_both_tenants_sees_only_the_hosts_trend(alpha_data, beta):
    Membership.objects.create(user=alpha_data.member, tenant=beta.tenant, role=Membership.Role.MEMBER)
    with tenant_context(beta.tenant):
        facts_write(rows=[_row(date(2026, 11, 20), "beta secret", 77, 700, host="beta.example")])
    url = "/dashboard/seo/trend/?range=7d&dimension=query&value=beta+secret"
    _, on_beta = page(client_for(beta, user=alpha_data.member), url)  # fills beta's cache first
    assert "77 clicks" in on_beta
    on_alpha = client_for(alpha_data, user=alpha_data.member)
    _, html = page(on_alpha, url)
    # "77 clicks", not "77": the static files' version number in the page may hold a 77
    assert "77 clicks" not in html and "0 clicks and 0 impressions" in html
    _, html = page(on_alpha, url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="seo-trend")
    assert "77 clicks" not in html and "0 clicks and 0 impressions" in html
    _, html = page(on_alpha, "/dashboard/seo/?range=7d&q=beta")
    assert "beta secret" not in html


def _years_of_data(tenant, days: int):
    with tenant_context(tenant):
        SearchFact.objects.bulk_create(
            SearchFact(
                day=date(2026, 11, 23) - timedelta(days=i),
                query=f"query {i % 40}",
                page=f"https://alpha.example/p{i % 7}/",
                device="MOBILE",
                country="can",
                clicks=3,
                impressions=50,
                position_sum=50 * (1 + i % 30),
            )
            for i in range(days)
        )
        facts_changed()


# Every request: session, user, membership, tenant config (8 with django-tenants' SET search_path
# before each). The page adds the table's count and rows, 4 movers queries and the distribution;
# the trend one query; none of them when their answers are cached (until ingestion writes facts).
EVERY_REQUEST = 8
SEO_QUERIES = EVERY_REQUEST + 2 * 7
TREND_QUERIES = EVERY_REQUEST + 2 * 1


@pytest.mark.parametrize("days", [7, 730])
def test_query_count_does_not_grow_with_the_data(alpha, days, django_assert_num_queries):
    _years_of_data(alpha.tenant, days)
    client = client_for(alpha, user=alpha.member)
    with django_assert_num_queries(SEO_QUERIES):
        _, html = page(client, "/dashboard/seo/?range=12m")
    assert f"of {min(days, 40)} queries" in html
    with django_assert_num_queries(EVERY_REQUEST):
        page(client, "/dashboard/seo/?range=12m")
    with django_assert_num_queries(SEO_QUERIES - 2 * 5):  # a sort: only the table, through htmx
        page(client, "/dashboard/seo/?range=12m&sort=ctr", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="seo-table")
    with django_assert_num_queries(TREND_QUERIES):
        page(client, "/dashboard/seo/trend/?range=12m&dimension=query&value=query+1")
    # A search's table is never cached (each word would be a key kept a day): its two queries each time.
    for _ in range(2):
        with django_assert_num_queries(EVERY_REQUEST + 2 * 2):
            page(
                client,
                "/dashboard/seo/?range=12m&q=query",
                HTTP_HX_REQUEST="true",
                HTTP_HX_TARGET="seo-table",
            )


def test_the_distribution_and_a_trend_are_one_query_each(alpha_data):
    with tenant_context(alpha_data.tenant), CaptureQueriesContext(connection) as done:
        position_distribution(dimension="query", period=WEEK)
        dimension_series(dimension="page", value="https://alpha.example/moving/", period=WEEK)
    ours = [q["sql"] for q in done.captured_queries if not q["sql"].startswith("SET search_path")]
    assert len(ours) == 2 and "CASE WHEN" in ours[0]  # the buckets, in the database
