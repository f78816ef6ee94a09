"""Week over week, movers, weekly scores, campaigns and seasonal demand against hand-worked numbers.

The fixture (alpha, America/Toronto; "now" is Tuesday 24 November 2026, 10:00 local):
  last 7 days 17–23 Nov: query a 30 clicks / 1,000 impressions at position 5, query b 10 / 1,000 at 15
                         100 sessions, 40 bounced, 10 quote forms; 3 leads
  the 7 before 10–16 Nov: query a 20 / 500 at 8, query b 12 / 1,500 at 12; 80 sessions, 40 bounced, 8 forms
so clicks 40 vs 32 (+25 %), CTR 2.0 % vs 1.6 % (+0.4 points), position 10 vs 11 (−1), sessions +25 %,
bounce 40 % vs 50 % (−10 points), leads 3 vs 0 (no data to compare with).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from marketing.connectors.base import AdsRow, SearchRow, TrafficRow
from marketing.metrics import Period, biggest_movers, last_complete, metric_series, metrics_summary
from marketing.models import Campaign, Lead, Score
from marketing.seasons import campaign_list, monthly_demand, recommended_windows
from marketing.services.campaigns import campaign_create, campaigns_sync_from_ads
from marketing.services.ingestion import facts_write
from marketing.services.scoring import scores_store

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def _s(day, query, clicks, impressions, position):
    return SearchRow(date(2026, 11, day), query, f"https://alpha.example/{query}/", "MOBILE", "can", clicks, impressions, position, True)  # fmt: skip


def _t(day, sessions, bounced, forms):
    return TrafficRow(
        date(2026, 11, day), "Organic Search", "/", sessions, sessions, sessions // 2, sessions - bounced,
        bounced / sessions, 90.0, {"lead_form": forms},
    )  # fmt: skip


def _lead_at(when: datetime, n: int = 0):
    lead = Lead.objects.create(name=f"Lead {when:%d%H%M} {n}", email=f"l{when:%d%H%M}{n}@example.com")
    Lead.objects.filter(pk=lead.pk).update(created=when)


@pytest.fixture
def two_weeks(alpha):
    with tenant_context(alpha.tenant):
        facts_write(
            rows=[
                _s(18, "a", 30, 1000, 5.0), _s(20, "b", 10, 1000, 15.0), _s(12, "a", 20, 500, 8.0),
                _s(12, "b", 12, 1500, 12.0), _t(19, 100, 40, 10), _t(11, 80, 40, 8),
            ]
        )  # fmt: skip
        for n in range(3):
            _lead_at(datetime(2026, 11, 17, 17, 0, tzinfo=UTC), n)
    return alpha


def test_week_over_week_matches_the_hand_worked_numbers(two_weeks):
    with tenant_context(two_weeks.tenant):
        summary = metrics_summary(tenant=two_weeks.tenant, now=NOW)
    week = summary["week"]
    assert week["current"] == {"start": "2026-11-17", "end": "2026-11-23"}
    assert week["previous"] == {"start": "2026-11-10", "end": "2026-11-16"}
    m = week["metrics"]
    assert (m["clicks"]["current"], m["clicks"]["previous"], m["clicks"]["change"]) == (40, 32, 25.0)
    assert m["clicks"]["unit"] == "percent"
    assert m["impressions"]["change"] == 0.0
    assert (m["ctr"]["change"], m["ctr"]["unit"]) == (0.4, "points")
    assert (m["position"]["current"], m["position"]["previous"], m["position"]["change"]) == (
        10.0,
        11.0,
        -1.0,
    )
    assert m["sessions"]["change"] == 25.0
    assert (m["bounce_rate"]["current"], m["bounce_rate"]["previous"]) == (0.4, 0.5)
    assert (m["bounce_rate"]["change"], m["bounce_rate"]["unit"]) == (-10.0, "points")
    assert (m["lead_form"]["current"], m["lead_form"]["change"]) == (10, 25.0)
    assert (m["leads"]["current"], m["leads"]["previous"], m["leads"]["change"]) == (
        3,
        0,
        None,
    )  # no data, no ÷0
    assert (m["ad_cost"]["change"], m["cost_per_conversion"]["current"]) == (None, None)
    month = summary["month"]
    assert month["current"] == {"start": "2026-10-27", "end": "2026-11-23"}
    assert (month["metrics"]["clicks"]["current"], month["metrics"]["clicks"]["change"]) == (72, None)


def test_a_dst_week_counts_leads_by_local_days(alpha):
    # Toronto leaves daylight time on Sunday 1 November 2026: that week is 169 hours long.
    with tenant_context(alpha.tenant):
        _lead_at(datetime(2026, 10, 26, 3, 30, tzinfo=UTC))  # Sun 25 Oct 23:30 EDT: the week before
        _lead_at(datetime(2026, 10, 26, 4, 30, tzinfo=UTC))  # Mon 26 Oct 00:30 EDT: this week
        _lead_at(datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # Sun 1 Nov 23:30 EST: this week, its last hour
        _lead_at(datetime(2026, 11, 2, 5, 30, tzinfo=UTC))  # Mon 2 Nov 00:30 EST: today, not yet counted
        week = metrics_summary(tenant=alpha.tenant, now=datetime(2026, 11, 2, 15, 0, tzinfo=UTC))["week"]
        leads = week["metrics"]["leads"]
        assert week["current"] == {"start": "2026-10-26", "end": "2026-11-01"}
        assert (leads["current"], leads["previous"], leads["change"]) == (2, 1, 100.0)
        # 23:30 local on Sunday is still Sunday: the last complete week ends the day before
        assert last_complete(
            tenant=alpha.tenant, days=7, now=datetime(2026, 11, 2, 4, 30, tzinfo=UTC)
        ) == Period(date(2026, 10, 25), date(2026, 10, 31))
        series = metric_series(
            tenant=alpha.tenant, metric="leads", period=Period(date(2026, 10, 25), date(2026, 11, 2))
        )
        assert [p["value"] for p in series] == [1, 1, 0, 0, 0, 0, 0, 1, 1]


def test_series_fill_days_without_data(two_weeks):
    period = Period(date(2026, 11, 17), date(2026, 11, 21))
    with tenant_context(two_weeks.tenant):
        clicks = metric_series(tenant=two_weeks.tenant, metric="clicks", period=period)
        ctr = metric_series(tenant=two_weeks.tenant, metric="ctr", period=period)
        bounce = metric_series(tenant=two_weeks.tenant, metric="bounce_rate", period=period)
    assert [p["day"] for p in clicks] == [
        "2026-11-17",
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
    ]
    assert [p["value"] for p in clicks] == [0, 30, 0, 10, 0]
    assert [p["value"] for p in ctr] == [None, 0.03, None, 0.01, None]  # a rate of nothing is a gap
    assert [p["value"] for p in bounce] == [None, None, 0.4, None, None]


def test_biggest_movers(two_weeks):
    with tenant_context(two_weeks.tenant):
        movers = biggest_movers(
            tenant=two_weeks.tenant,
            dimension="query",
            current=last_complete(tenant=two_weeks.tenant, days=7, now=NOW),
        )
    assert [(r["query"], r["click_change"]) for r in movers["gained_clicks"]] == [("a", 10)]
    assert [(r["query"], r["click_change"]) for r in movers["lost_clicks"]] == [("b", -2)]
    assert [
        (r["query"], r["position"], r["previous_position"], r["position_change"]) for r in movers["rose"]
    ] == [("a", 5.0, 8.0, -3.0)]
    assert [(r["query"], r["position_change"]) for r in movers["fell"]] == [("b", 3.0)]


def test_position_movers_need_enough_impressions_in_both_weeks(alpha):
    with tenant_context(alpha.tenant):
        facts_write(rows=[_s(18, "rare", 1, 10, 2.0), _s(12, "rare", 0, 10, 9.0), _s(18, "rarer", 1, 9, 2.0), _s(12, "rarer", 0, 10, 9.0)])  # fmt: skip
        movers = biggest_movers(
            tenant=alpha.tenant,
            dimension="query",
            current=last_complete(tenant=alpha.tenant, days=7, now=NOW),
        )
    assert [r["query"] for r in movers["rose"]] == ["rare"]  # 10 impressions is enough, 9 is not


def test_weekly_scores_with_their_reasons(two_weeks):
    # Weeks run Monday–Sunday: the last complete one is 16–22 Nov, against 9–15 Nov (same rows).
    with tenant_context(two_weeks.tenant):
        scores_store(tenant=two_weeks.tenant, now=NOW)
        scores = {s.area: s for s in Score.objects.filter(week=date(2026, 11, 16))}
    assert set(scores) == {"search", "traffic", "leads"}  # no Ads data: no Ads score
    search = scores["search"]
    assert search.score == 70  # 50 + 12.5 (clicks +25 %) + 5 (one place up) + 2 (CTR +0.4 points)
    assert [(r["metric"], r["points"]) for r in search.reasons] == [
        ("clicks", 12.5),
        ("position", 5.0),
        ("ctr", 2.0),
    ]
    assert search.reasons[0]["text"] == "Clicks from Google up 25 %"
    assert search.reasons[1]["text"] == "Average position improved by 1 place"
    assert scores["traffic"].score == 73  # 50 + 12.5 (visits +25 %) + 10 (bounce −10 points), 72.5 rounds up
    assert scores["leads"].score == 56  # 50 + 0 (no leads the week before) + 6.25 (forms +25 %)
    assert scores["leads"].reasons[0]["text"] == "New leads: nothing the week before to compare with"
    with tenant_context(two_weeks.tenant):  # stored again: replaced, not added
        scores_store(tenant=two_weeks.tenant, now=NOW)
        assert Score.objects.count() == 3


def test_a_run_rescores_the_weeks_its_days_change(two_weeks):
    with tenant_context(two_weeks.tenant):
        # days of 18–20 Nov: their week (16 Nov); the week after is not complete yet on 24 Nov
        scores_store(tenant=two_weeks.tenant, now=NOW, start=date(2026, 11, 18), end=date(2026, 11, 20))
        assert set(Score.objects.values_list("week", flat=True)) == {date(2026, 11, 16)}
        # days of 5–12 Nov: their weeks (2 and 9 Nov) and the one after, which compares against them
        Score.objects.all().delete()
        scores_store(tenant=two_weeks.tenant, now=NOW, start=date(2026, 11, 5), end=date(2026, 11, 12))
        assert set(Score.objects.values_list("week", flat=True)) == {date(2026, 11, d) for d in (2, 9, 16)}
        assert (
            scores_store(tenant=two_weeks.tenant, now=NOW, start=date(2026, 11, 23), end=date(2026, 11, 23))
            == []
        )


def test_scores_are_capped(alpha):
    with tenant_context(alpha.tenant):
        facts_write(rows=[_s(18, "a", 500, 1000, 1.0), _s(11, "a", 1, 1000, 30.0)])
        scores_store(tenant=alpha.tenant, now=NOW)
        assert Score.objects.get(area="search").score == 100
        facts_write(rows=[_s(18, "a", 1, 1000, 30.0), _s(11, "a", 500, 1000, 1.0)])
        scores_store(tenant=alpha.tenant, now=NOW)
        assert Score.objects.get(area="search").score == 0


def test_recommended_windows_are_months_rising_above_the_mean():
    def demand(indexes):
        return [{"month": m, "index": i} for m, i in enumerate(indexes, start=1)]

    spring = demand([80, 70, 90, 105, 120, 130, 125, 110, 95, 85, 75, 95])
    assert recommended_windows(spring) == [{"start_month": 4, "end_month": 6, "months": [4, 5, 6]}]
    winter = demand([110, 90, 80, 70, 60, 100, 101, 99, 98, 97, 95, 105])
    assert recommended_windows(winter) == [
        {"start_month": 7, "end_month": 7, "months": [7]},
        {"start_month": 12, "end_month": 1, "months": [12, 1]},
    ]
    assert recommended_windows(demand([None] * 12)) == []


def test_monthly_demand_averages_impressions_per_day(alpha):
    def row(day, impressions):
        return SearchRow(day, "q", "https://alpha.example/", "MOBILE", "can", 0, impressions, 1.0, True)

    with tenant_context(alpha.tenant):
        facts_write(
            rows=[row(date(2025, 1, 10), 100), row(date(2026, 1, 10), 300), row(date(2026, 7, 10), 600)]
        )
        demand = monthly_demand(tenant=alpha.tenant, now=NOW)
    assert demand[0] == {"month": 1, "impressions_per_day": 200.0, "index": 50.0}
    assert demand[6] == {"month": 7, "impressions_per_day": 600.0, "index": 150.0}
    assert demand[1] == {"month": 2, "impressions_per_day": None, "index": None}


def test_campaigns_come_from_ads_and_by_hand(alpha):
    def ads(day, name, cost, conversions):
        return AdsRow(date(2026, 11, day), "777", name, 100, 10, Decimal(cost), Decimal(conversions))

    with tenant_context(alpha.tenant):
        facts_write(rows=[ads(10, "Florida", "12.50", "1"), ads(12, "Florida snowbirds", "7.50", "1")])
        assert campaigns_sync_from_ads() == 1
        assert campaigns_sync_from_ads() == 0  # nothing changed
        campaign_create(
            name="Radio spots",
            channel="radio",
            budget=Decimal("900"),
            start=date(2026, 4, 1),
            end=date(2026, 5, 31),
        )
        listed = {c["name"]: c for c in campaign_list(period=Period(date(2026, 11, 1), date(2026, 11, 30)))}
        ads_campaign = Campaign.objects.get(ads_campaign_id="777")
    assert (ads_campaign.name, ads_campaign.start, ads_campaign.end) == (
        "Florida snowbirds",
        date(2026, 11, 10),
        date(2026, 11, 12),
    )
    assert (listed["Florida snowbirds"]["cost"], listed["Florida snowbirds"]["cost_per_conversion"]) == (
        Decimal("20"),
        Decimal("10"),
    )
    assert (listed["Radio spots"]["clicks"], listed["Radio spots"]["cost_per_conversion"]) == (0, None)


def test_a_manual_campaign_must_end_after_it_starts(alpha):
    from django.core.exceptions import ValidationError

    with tenant_context(alpha.tenant), pytest.raises(ValidationError):
        campaign_create(name="Backwards", channel="print", start=date(2026, 5, 2), end=date(2026, 5, 1))
    with tenant_context(alpha.tenant):
        campaign_create(name="One day", channel="print", start=date(2026, 5, 1), end=date(2026, 5, 1))


def test_demo_history_seasons_and_scores_load_once(alpha, django_capture_on_commit_callbacks):
    # What `manage.py demo_load` gives the demo tenant (the command itself runs in tests/*/test_demo.py).
    from marketing.demo import flywheel_demo_load
    from marketing.models import IngestionRun, SearchFact, SeasonalEvent

    with time_machine.travel(NOW, tick=False), tenant_context(alpha.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            assert flywheel_demo_load(tenant=alpha.tenant) == 60  # days (two years outside tests)
        assert flywheel_demo_load(tenant=alpha.tenant) == 0
        run = IngestionRun.objects.get()
        assert (run.connector, run.trigger, run.status) == ("demo", "demo", "succeeded")
        assert (run.window_start, run.window_end) == (date(2026, 9, 25), date(2026, 11, 23))
        assert SearchFact.objects.dates("day", "day").count() == 60
        assert SeasonalEvent.objects.filter(name="Snowbirds go south").exists()
        assert Campaign.objects.filter(channel="google_ads").count() >= 3
        assert Campaign.objects.filter(channel="radio").count() == 1
        assert Score.objects.order_by().values("week").distinct().count() == 9  # every week the 60 days touch


def test_a_long_demo_history_loads_in_quarter_year_runs(alpha, settings, django_capture_on_commit_callbacks):
    from marketing.demo import flywheel_demo_load
    from marketing.models import IngestionRun

    settings.INGESTION_DEMO_HISTORY_DAYS = 730
    with time_machine.travel(NOW, tick=False), tenant_context(alpha.tenant):
        with (
            django_capture_on_commit_callbacks() as queued
        ):  # queued, not run: no need to load two years here
            assert flywheel_demo_load(tenant=alpha.tenant) == 730
        runs = list(IngestionRun.objects.order_by("window_start").values_list("window_start", "window_end"))
    assert len(queued) == len(runs) == 8
    assert runs[0][0] == date(2024, 11, 24) and runs[-1][1] == date(2026, 11, 23)
    assert all((end - start).days + 1 <= 92 for start, end in runs)
    assert all(
        later[0] == earlier[1] + timedelta(days=1) for earlier, later in zip(runs, runs[1:], strict=False)
    )
