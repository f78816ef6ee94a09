"""The marketing read API: summary, series, search queries and pages, ingestion runs — answers, bad
ranges, query budgets, and tenant isolation (a person in both tenants, another tenant's key)."""

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django_tenants.utils import tenant_context

from marketing.connectors.base import SearchRow
from marketing.models import IngestionRun
from marketing.services.ingestion import facts_write
from tenants.models import Membership
from tenants.services.apikeys import apikey_create
from tests.conftest import client_for

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 24 Nov, 10:00 in Toronto


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _row(day, query, clicks, impressions, position=5.0, page="/moving/"):
    return SearchRow(
        day, query, f"https://alpha.example{page}", "MOBILE", "can", clicks, impressions, position, True
    )


def budget(ours: int) -> int:
    """Queries of one API request: 4 every request makes (tenant's domain, session, user, membership)
    and the `ours` the endpoint makes, each after django-tenants' SET search_path."""
    return 2 * 4 + 2 * ours


@pytest.fixture
def alpha_data(alpha):
    with tenant_context(alpha.tenant):
        facts_write(
            rows=[
                _row(date(2026, 11, 18), "movers vaughan", 30, 1000),
                _row(
                    date(2026, 11, 20), "car shipping to florida", 10, 500, 8.0, "/car-shipping-to-florida/"
                ),
                _row(date(2026, 11, 12), "movers vaughan", 20, 800),
            ]
        )
        IngestionRun.objects.create(
            connector="demo",
            window_start=date(2026, 11, 19),
            window_end=date(2026, 11, 23),
            status="succeeded",
            rows=42,
        )
    return alpha


def test_summary_gives_week_and_month_over_the_period_before(alpha_data, django_assert_num_queries):
    client = client_for(alpha_data, user=alpha_data.member)
    client.get("/api/v1/metrics/summary/")  # warm the session and tenant caches, and the facts' sums
    # leads for both weeks and both months, latest week, its scores (the search, traffic and Ads sums
    # and the movers are cached until the next ingestion)
    with django_assert_num_queries(budget(3)):
        body = client.get("/api/v1/metrics/summary/").json()
    clicks = body["week"]["metrics"]["clicks"]
    assert (clicks["current"], clicks["previous"], clicks["change"]) == (40, 20, 100.0)
    assert body["week"]["current"] == {"start": "2026-11-17", "end": "2026-11-23"}
    assert body["month"]["metrics"]["clicks"]["change"] is None  # nothing in the 28 days before
    assert [m["query"] for m in body["movers"]["gained_clicks"]] == [
        "car shipping to florida",
        "movers vaughan",
    ]


def test_summary_for_a_chosen_range(alpha_data):
    body = (
        client_for(alpha_data, user=alpha_data.member)
        .get("/api/v1/metrics/summary/?start=2026-11-18&end=2026-11-20")
        .json()
    )
    assert body["range"]["previous"] == {"start": "2026-11-15", "end": "2026-11-17"}
    assert body["range"]["metrics"]["clicks"]["current"] == 40


def test_series_is_one_point_a_day(alpha_data, django_assert_num_queries):
    client = client_for(alpha_data, user=alpha_data.owner)
    client.get("/api/v1/me/")
    with django_assert_num_queries(budget(1)):
        body = client.get("/api/v1/metrics/series/?metric=clicks&start=2026-11-17&end=2026-11-20").json()
    assert [(p["day"], p["value"]) for p in body["points"]] == [
        ("2026-11-17", 0), ("2026-11-18", 30), ("2026-11-19", 0), ("2026-11-20", 10),
    ]  # fmt: skip


def test_top_queries_and_pages(alpha_data, django_assert_num_queries):
    client = client_for(alpha_data, user=alpha_data.member)
    client.get("/api/v1/me/")
    with django_assert_num_queries(budget(2)):  # count, page
        body = client.get("/api/v1/seo/queries/?start=2026-11-17&end=2026-11-23").json()
    assert body["count"] == 2
    top = body["results"][0]
    assert (top["query"], top["clicks"], top["previous_clicks"], top["ctr"], top["position"]) == (
        "movers vaughan", 30, 20, 0.03, 5.0,
    )  # fmt: skip
    pages = client.get("/api/v1/seo/pages/?start=2026-11-17&end=2026-11-23&order=click_change").json()
    assert [(p["page"], p["click_change"]) for p in pages["results"]] == [
        ("https://alpha.example/moving/", 10),  # a tie on the change: more clicks first
        ("https://alpha.example/car-shipping-to-florida/", 10),
    ]
    best_first = client.get("/api/v1/seo/queries/?start=2026-11-17&end=2026-11-23&order=position").json()
    assert [(q["query"], q["position"]) for q in best_first["results"]] == [
        ("movers vaughan", 5.0),
        ("car shipping to florida", 8.0),
    ]


def test_ingestion_runs_list(alpha_data, django_assert_num_queries):
    client = client_for(alpha_data, user=alpha_data.member)
    client.get("/api/v1/me/")
    with django_assert_num_queries(budget(2)):  # count, page
        body = client.get("/api/v1/ingestion/runs/").json()
    assert [(r["connector"], r["status"], r["rows"]) for r in body["results"]] == [("demo", "succeeded", 42)]


@pytest.mark.parametrize(
    "query, field, code",
    [
        ("start=2026-11-20&end=2026-11-19", "start", "range_reversed"),
        ("start=yesterday", "start", "invalid"),
        ("start=2026-02-30", "start", "invalid"),
        ("end=2026-11-25", "end", "range_in_future"),  # tomorrow in Toronto
        ("start=2024-11-22&end=2026-11-23", "start", "range_too_long"),  # 732 days
        ("end=0001-01-05", "end", "range_too_early"),  # would underflow the dates before it
        ("start=0001-01-01&end=0001-01-02", "start", "range_too_early"),
        ("start=1999-12-31&end=2000-01-02", "start", "range_too_early"),  # one day past the limit
    ],
)
def test_nonsense_ranges_are_refused_with_a_code(alpha_data, query, field, code):
    for path in (
        "/api/v1/metrics/summary/",
        "/api/v1/metrics/series/?metric=clicks&",
        "/api/v1/seo/queries/",
    ):
        url = f"{path}{'' if path.endswith('&') else '?'}{query}"
        response = client_for(alpha_data, user=alpha_data.member).get(url)
        assert response.status_code == 400, url
        assert response.json()["fields"][field][0]["code"] == code


def test_the_longest_range_and_today_are_accepted(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    response = client.get(
        "/api/v1/metrics/series/?metric=impressions&start=2024-11-23&end=2026-11-23"
    )  # 731 days
    assert response.status_code == 200 and len(response.json()["points"]) == 731
    assert client.get("/api/v1/metrics/summary/?end=2026-11-24").status_code == 200


def test_unknown_metric_and_order_are_refused(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    response = client.get("/api/v1/metrics/series/?metric=revenue")
    assert response.status_code == 400 and response.json()["fields"]["metric"][0]["code"] == "invalid_choice"
    assert client.get("/api/v1/metrics/series/").json()["fields"]["metric"][0]["code"] == "required"
    assert client.get("/api/v1/seo/pages/?order=sideways").status_code == 400


def test_api_key_reads_its_own_tenant(alpha_data):
    key = apikey_create(tenant=alpha_data.tenant, label="Agency report", actor=None).key
    client = client_for(alpha_data, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/metrics/summary/").json()["week"]["metrics"]["clicks"]["current"] == 40
    assert client.get("/api/v1/ingestion/runs/").json()["count"] == 1


URLS = [
    "/api/v1/metrics/summary/",
    "/api/v1/metrics/series/?metric=clicks",
    "/api/v1/seo/queries/",
    "/api/v1/seo/pages/",
    "/api/v1/ingestion/runs/",
]


@pytest.mark.parametrize("url", URLS)
def test_a_member_of_both_tenants_sees_only_the_hosts_data(alpha_data, beta, url):
    Membership.objects.create(user=alpha_data.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    on_beta = client_for(beta, user=alpha_data.owner).get(url)
    assert on_beta.status_code == 200
    text = on_beta.content.decode()
    assert "movers vaughan" not in text and '"count":1' not in text
    if "summary" in url:
        assert on_beta.json()["week"]["metrics"]["clicks"]["current"] == 0
    if "series" in url:
        assert {p["value"] for p in on_beta.json()["points"]} == {0}


@pytest.mark.parametrize("url", URLS)
def test_another_tenants_key_is_refused(alpha_data, beta, url):
    key = apikey_create(tenant=beta.tenant, label="Beta's key", actor=None).key
    response = client_for(alpha_data, HTTP_AUTHORIZATION=f"Api-Key {key}").get(url)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_the_earliest_day_is_accepted(alpha_data):
    client = client_for(alpha_data, user=alpha_data.member)
    assert client.get("/api/v1/metrics/summary/?start=2000-01-01&end=2000-01-02").status_code == 200


@pytest.mark.parametrize("plan, sees_ads", [("seo", False), ("seo-ads", True), ("full", True)])
def test_ads_numbers_only_for_plans_with_campaigns(alpha_data, plan, sees_ads):
    from billing.services.subscriptions import plan_change_apply
    from tenants.models import Tenant

    plan_change_apply(tenant=alpha_data.tenant, plan=plan, initial=True)
    alpha_data.tenant = Tenant.objects.get(pk=alpha_data.tenant.pk)
    client = client_for(alpha_data, user=alpha_data.owner)
    summary = json.dumps(client.get("/api/v1/metrics/summary/").json())
    assert ("ad_cost" in summary) is sees_ads and ('"clicks"' in summary)
    series = client.get("/api/v1/metrics/series/?metric=ad_cost")
    assert series.status_code == (200 if sees_ads else 403)
    if not sees_ads:
        assert series.json()["code"] == "plan_upgrade_required"
    assert client.get("/api/v1/metrics/series/?metric=clicks").status_code == 200
