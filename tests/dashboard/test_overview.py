"""The overview: KPI cards equal to what the selectors compute, the period in the URL (and its
errors), htmx swaps of the body alone, a constant number of queries with two years of data, and the
cached sums following new ingestion."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django_tenants.utils import tenant_context

from contracts.models import Contract
from marketing.connectors.base import SearchRow, TrafficRow
from marketing.metrics import Period, totals
from marketing.models import Lead, SearchFact, TrafficFact
from marketing.services.ingestion import facts_write
from tests.conftest import client_for
from tests.contracts.conftest import make_contract  # noqa: F401 (a fixture)
from tests.marketing.conftest import make_lead  # noqa: F401 (a fixture)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # Tuesday 24 Nov, 10:00 in Toronto
LAST_7 = Period(date(2026, 11, 17), date(2026, 11, 23))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _search(day, clicks, impressions, position=4.0, query="car shipping"):
    return SearchRow(
        day, query, "https://alpha.example/", "MOBILE", "can", clicks, impressions, position, True
    )


def _traffic(day, sessions, bounce_rate=0.5):
    return TrafficRow(
        day, "Organic Search", "/", sessions, sessions, sessions // 2, sessions // 2, bounce_rate, 60.0, {}
    )


@pytest.fixture
def alpha_facts(alpha):
    """Last 7 days: 40 clicks on 1,000 impressions, 100 sessions; the 7 before: 20 on 1,000, 50."""
    with tenant_context(alpha.tenant):
        facts_write(
            rows=[
                _search(date(2026, 11, 18), 30, 600, 3.0),
                _search(date(2026, 11, 20), 10, 400, 8.0),
                _search(date(2026, 11, 12), 20, 1000, 6.0),
                _traffic(date(2026, 11, 19), 100, 0.4),
                _traffic(date(2026, 11, 11), 50, 0.6),
            ]
        )
    return alpha


def _cards(response) -> dict:
    return {card["kpi"].key: card for card in response.context["cards"]}


def test_kpi_cards_show_the_selectors_values_and_changes(alpha_facts, make_lead, make_contract):  # noqa: F811
    lead, _ = make_lead(alpha_facts, name="Gina Rossi")
    contract = make_contract(alpha_facts)
    with tenant_context(alpha_facts.tenant):
        Lead.objects.filter(pk=lead.pk).update(created=datetime(2026, 11, 20, 16, tzinfo=UTC))
        Contract.objects.filter(pk=contract.pk).update(signed_at=datetime(2026, 11, 21, 16, tzinfo=UTC))
        expected, before = totals(tenant=alpha_facts.tenant, periods=[LAST_7, LAST_7.before()])

    response = client_for(alpha_facts, user=alpha_facts.member).get("/dashboard/?range=7d")
    assert response.status_code == 200
    cards = _cards(response)
    for key in ("clicks", "impressions", "ctr", "position", "sessions", "bounce_rate", "leads"):
        assert cards[key]["value"] == expected[key], key
    assert (cards["clicks"]["value"], cards["clicks"]["change"], cards["clicks"]["good"]) == (40, 100.0, True)
    assert cards["ctr"]["change"] == 2.0  # 4 % against 2 %: points, not percent
    assert cards["position"]["value"] == pytest.approx(5.0)  # weighted by impressions: (3×600 + 8×400) / 1000
    assert cards["position"]["change"] == -1.0 and cards["position"]["good"] is True  # lower is better
    assert cards["bounce_rate"]["change"] == -20.0 and cards["bounce_rate"]["good"] is True
    assert (cards["leads"]["value"], cards["contracts_signed"]["value"]) == (1, 1)
    assert cards["leads"]["change"] is None  # nothing the week before: no made-up percentage
    html = response.content.decode()
    assert "+100 %" in html and "−1 pts" not in html and "+2 pts" in html
    assert "4.0 %" in html  # the click-through rate as an owner reads it
    assert cards["clicks"]["series"] == [0, 30, 0, 10, 0, 0, 0]  # one point a day for the sparkline
    assert response.context["trend_chart"]["labels"][0] == "2026-11-17"
    assert 'data-chart="trend-data"' in html and 'id="trend-data" type="application/json"' in html


def test_without_compare_there_is_no_change(alpha_facts):
    response = client_for(alpha_facts, user=alpha_facts.member).get("/dashboard/?range=7d&compare=0")
    assert all(card["change"] is None for card in response.context["cards"])
    assert "compared with" not in response.content.decode()


def test_presets_and_custom_ranges_come_from_the_url(alpha):
    client = client_for(alpha, user=alpha.member)
    default = client.get("/dashboard/").context["range"]
    assert (default.key, default.period) == ("28d", Period(date(2026, 10, 27), date(2026, 11, 23)))
    year = client.get("/dashboard/?range=12m").context["range"].period
    assert (year.start, year.end, year.days) == (date(2025, 11, 24), date(2026, 11, 23), 365)
    custom = client.get("/dashboard/?range=custom&start=2026-03-01&end=2026-03-31").context["range"]
    assert custom.period == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert custom.previous == Period(date(2026, 1, 29), date(2026, 2, 28))
    assert custom.query() == "range=custom&start=2026-03-01&end=2026-03-31"
    page = client.get("/dashboard/?range=custom&start=2026-03-01&end=2026-03-31").content.decode()
    assert '<option value="custom" selected>' in page and 'value="2026-03-01"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=custom&start=2026-03-31&end=2026-03-01", "The start is after the end."),
        ("range=custom&start=2026-03-01", "Give both dates for a custom period."),
        ("range=custom&start=2026-03-01&end=2026-11-25", "The end can&#x27;t be later than today."),
        ("range=custom&start=2024-11-22&end=2026-11-23", "Choose at most 731 days."),
        ("range=forever", "Select a valid choice."),
        ("range=custom&start=yesterday&end=2026-03-01", "Enter a valid date."),
    ],
)
def test_a_bad_range_says_why_and_shows_the_default(alpha, query, message):
    response = client_for(alpha, user=alpha.member).get(f"/dashboard/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["range"].period == Period(date(2026, 10, 27), date(2026, 11, 23))


def test_a_wrong_custom_period_stays_in_the_picker_to_be_corrected(alpha):
    html = client_for(alpha, user=alpha.member).get(
        "/dashboard/?range=custom&start=2026-03-31&end=2026-03-01"
    )
    picker = html.content.decode().split('id="range-form"')[1].split("</form>")[0]
    assert '<option value="custom" selected>' in picker
    assert 'value="2026-03-31"' in picker and 'value="2026-03-01"' in picker


def test_two_years_is_the_longest_custom_range(alpha):
    client = client_for(alpha, user=alpha.member)
    longest = client.get("/dashboard/?range=custom&start=2024-11-23&end=2026-11-23")  # 731 days
    assert longest.context["range"].period.days == 731 and not longest.context["range"].form.errors


def test_htmx_gets_the_body_and_the_period_label_only(alpha_facts):
    client = client_for(alpha_facts, user=alpha_facts.member)
    partial = client.get("/dashboard/?range=7d", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dash-body")
    html = partial.content.decode()
    assert "<html" not in html and 'class="kpis"' in html
    assert 'id="range-status" class="range-status" aria-live="polite" hx-swap-oob="true"' in html
    assert "Nov 17, 2026 – Nov 23, 2026" in html
    full = client.get("/dashboard/?range=7d").content.decode()
    assert "<html" in full and 'id="range-form"' in full and "hx-swap-oob" not in full
    # another htmx target (a widget of its own) is not given the body
    other = client.get("/dashboard/?range=7d", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="elsewhere")
    assert "<html" in other.content.decode()


def test_the_period_picker_keeps_the_pages_other_filters(alpha):
    html = (
        client_for(alpha, user=alpha.member).get("/dashboard/seo/?order=impressions&page=3").content.decode()
    )
    assert '<input type="hidden" name="order" value="impressions">' in html
    assert (
        'name="page"' not in html.split('id="range-form"')[1].split("</form>")[0]
    )  # a new period starts at page 1


def _two_years(world):
    """A row a day for two years in each fact table, as ingestion would leave them."""
    start = date(2024, 11, 23)
    with tenant_context(world.tenant):
        SearchFact.objects.bulk_create(
            SearchFact(day=start + timedelta(days=i), query="q", page="/", device="MOBILE", country="can",
                       clicks=i % 7, impressions=100, position_sum=500.0)
            for i in range(731)
        )  # fmt: skip
        TrafficFact.objects.bulk_create(
            TrafficFact(day=start + timedelta(days=i), channel="Organic Search", landing_page="/", sessions=10,
                        users=9, new_users=5, engaged_sessions=6, bounce_sum=4.0, duration_sum=600.0)
            for i in range(731)
        )  # fmt: skip


def _queries(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_queries_are_the_same_with_two_years_of_data_as_with_one_week(alpha, beta):
    with tenant_context(beta.tenant):
        SearchFact.objects.bulk_create(
            SearchFact(day=date(2026, 11, 17) + timedelta(days=i), query="q", page="/", device="MOBILE",
                       country="can", clicks=1, impressions=10, position_sum=50.0)
            for i in range(7)
        )  # fmt: skip
    _two_years(alpha)
    for path in (
        "/dashboard/?range=7d",
        "/dashboard/?range=12m",
        "/dashboard/?range=custom&start=2024-11-23&end=2026-11-23",
    ):
        big = _queries(client_for(alpha, user=alpha.member), path)
        small = _queries(client_for(beta, user=beta.member), path)
        assert big == small, path
    # and exactly: the request's own 4 (domain, session, user, membership); the KPIs' 4 (the facts'
    # sums are cached: leads and contracts signed per period and per day); the scores; the latest
    # leads; the pipeline's 2; the data sources' last runs and last successes; the noindex warning's
    # pages — each after django-tenants' SET search_path.
    assert big == 2 * (4 + 4 + 1 + 1 + 2 + 2 + 1)


def test_cached_sums_follow_new_ingestion(alpha_facts, django_capture_on_commit_callbacks):
    client = client_for(alpha_facts, user=alpha_facts.member)
    assert _cards(client.get("/dashboard/?range=7d"))["clicks"]["value"] == 40
    with tenant_context(alpha_facts.tenant), django_capture_on_commit_callbacks(execute=True):
        facts_write(rows=[_search(date(2026, 11, 22), 5, 100, query="movers")])
    assert _cards(client.get("/dashboard/?range=7d"))["clicks"]["value"] == 45


def test_one_tenants_cached_sums_never_answer_another(alpha_facts, beta):
    # the same period asked on both hosts by a person in both: each sees its own
    from tenants.models import Membership

    Membership.objects.get_or_create(user=alpha_facts.member, tenant=beta.tenant, defaults={"role": "member"})
    assert (
        _cards(client_for(alpha_facts, user=alpha_facts.member).get("/dashboard/?range=7d"))["clicks"][
            "value"
        ]
        == 40
    )
    assert (
        _cards(client_for(beta, user=alpha_facts.member).get("/dashboard/?range=7d"))["clicks"]["value"] == 0
    )


def test_no_contracts_says_so_and_how_to_start(alpha):
    html = client_for(alpha, user=alpha.member).get("/dashboard/").content.decode()
    assert "No contracts yet." in html and 'href="/contracts/new/"' in html
    assert "Shipments by last step" not in html


def test_contract_pipeline_counts_by_status_and_step(alpha, make_contract):  # noqa: F811
    first, second = make_contract(alpha), make_contract(alpha)
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=first.pk).update(status="signed", milestone=2, signed_at=NOW)
        Contract.objects.filter(pk=second.pk).update(status="sent")
    pipeline = client_for(alpha, user=alpha.member).get("/dashboard/").context["pipeline"]
    statuses = {status: count for status, _, count in pipeline["statuses"]}
    assert (statuses["signed"], statuses["sent"], statuses["draft"]) == (1, 1, 0)
    assert dict(pipeline["milestones"])["Vehicle Pickup"] == 1
    assert (pipeline["total"], pipeline["shipping"]) == (2, 1)


def test_the_eight_cards_are_search_traffic_leads_and_contracts(alpha):
    keys = [
        card["kpi"].key for card in client_for(alpha, user=alpha.member).get("/dashboard/").context["cards"]
    ]
    assert keys == [
        "clicks",
        "impressions",
        "ctr",
        "position",
        "sessions",
        "bounce_rate",
        "leads",
        "contracts_signed",
    ]


def test_a_failed_or_stale_data_source_is_flagged(alpha):
    from marketing.models import IngestionRun

    client = client_for(alpha, user=alpha.owner)
    with tenant_context(alpha.tenant):
        IngestionRun.objects.create(
            connector="demo", window_start=date(2026, 11, 20), window_end=date(2026, 11, 23), status="failed",
            error="boom", finished=NOW,
        )  # fmt: skip
    html = client.get("/dashboard/").content.decode()
    assert "Demo data" in html and "The last run failed" in html
    with tenant_context(alpha.tenant):
        IngestionRun.objects.create(
            connector="demo", window_start=date(2026, 11, 1), window_end=date(2026, 11, 20), status="succeeded",
            finished=NOW - timedelta(days=3), rows=10,
        )  # fmt: skip
        IngestionRun.objects.filter(status="succeeded").update(created=NOW - timedelta(days=3))
        IngestionRun.objects.filter(status="failed").delete()
    html = client.get("/dashboard/").content.decode()
    assert "The last run failed" not in html and "Nothing new for 2 days" in html
