"""Ingestion: the demo connector, bulk upserts that never double-count, the nightly fan-out, retries,
revoked credentials and `manage.py ingest`."""

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django_tenants.utils import tenant_context

from marketing import connectors
from marketing.connectors.base import (
    AdsRow,
    ConnectorCredentialsRevoked,
    ConnectorError,
    ConnectorTemporaryError,
    SearchRow,
    TrafficRow,
)
from marketing.connectors.demo import DemoConnector
from marketing.models import AdsFact, IngestionRun, SearchFact, TrafficFact
from marketing.services.ingestion import (
    facts_write,
    ingestion_connectors,
    ingestion_run_create,
    ingestion_schedule_tenant,
    retry_delay,
)
from tenants.models import TenantConfig

DAY = date(2026, 11, 20)
# 04:30 in Toronto (EST, UTC-5) on 24 November: the nightly hour of both test tenants.
NIGHT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def _search(
    day=DAY, query="car shipping toronto", clicks=3, impressions=100, position=4.0, final=True, page="/"
):
    return SearchRow(
        day, query, f"https://alpha.example{page}", "MOBILE", "can", clicks, impressions, position, final
    )


# --- the demo connector ---------------------------------------------------------------------------


def test_demo_data_is_the_same_whenever_a_day_is_fetched():
    tenant = SimpleNamespace(schema_name="scilla", subdomain="scilla")
    once = list(DemoConnector().fetch(tenant, DAY, DAY))
    within_a_longer_window = [
        r for r in DemoConnector().fetch(tenant, DAY - timedelta(days=3), DAY) if r.day == DAY
    ]
    assert once == within_a_longer_window
    assert {type(r) for r in once} == {SearchRow, TrafficRow, AdsRow}
    other_tenant = list(
        DemoConnector().fetch(SimpleNamespace(schema_name="acme", subdomain="acme"), DAY, DAY)
    )
    assert other_tenant != once


def test_demo_year_is_shaped_like_the_real_company():
    # Every third day of 2026 (days are independent, and every weekday and month is sampled alike).
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 3)]
    rows = [r for day in days for r in DemoConnector().day_rows("scilla", "https://scilla.example", day)]
    search = [r for r in rows if isinstance(r, SearchRow)]
    traffic = [r for r in rows if isinstance(r, TrafficRow)]
    per_28 = 28 / len(days)
    assert 560 < sum(r.clicks for r in search) * per_28 < 700  # ≈ 627
    assert 38_000 < sum(r.impressions for r in search) * per_28 < 46_000  # ≈ 41,870
    assert 200 <= len({r.query for r in search}) <= 400
    paths = {r.page.removeprefix("https://scilla.example") for r in search}
    assert {"/", "/vehicle-shipping/", "/europe-shipping/", "/moving/"} <= paths and 24 <= len(paths) <= 40
    sessions = sum(r.sessions for r in traffic)
    assert 105 < sessions / len(days) < 127  # ≈ 116 a day
    assert 0.41 < sum(r.bounce_rate * r.sessions for r in traffic) / sessions < 0.47  # ≈ 44 %
    assert 95 < sum(r.key_events.get("lead_form", 0) for r in traffic) / len(days) * 7 < 115  # ≈ 105 a week
    by_weekday = [sum(r.impressions for r in search if r.day.weekday() == d) for d in range(7)]
    assert min(by_weekday[:5]) > max(by_weekday[5:])  # weekdays busier than weekends
    by_month = [sum(r.impressions for r in search if r.day.month == m) for m in range(1, 13)]
    assert min(by_month[4:9]) > max(by_month[:3] + by_month[10:])  # May–September season
    campaigns = {r.campaign_name for r in rows if isinstance(r, AdsRow)}
    assert 3 <= len(campaigns) <= 5


# --- bulk writes ----------------------------------------------------------------------------------


def _totals():
    return (
        SearchFact.objects.aggregate(c=Sum("clicks"), i=Sum("impressions"), p=Sum("position_sum")),
        SearchFact.objects.count(),
        TrafficFact.objects.aggregate(s=Sum("sessions")),
        AdsFact.objects.aggregate(c=Sum("cost")),
    )


def test_the_same_window_ingested_twice_leaves_identical_totals(alpha):
    with tenant_context(alpha.tenant):
        rows = list(DemoConnector().fetch(alpha.tenant, DAY - timedelta(days=4), DAY))
        assert facts_write(rows=rows) == len(rows)
        first = _totals()
        assert first[1] > 500
        facts_write(rows=rows)
        facts_write(rows=[r for r in rows if r.day == DAY])  # an overlapping window
        assert _totals() == first


def test_final_numbers_replace_provisional_ones_and_never_the_reverse(alpha):
    with tenant_context(alpha.tenant):
        facts_write(
            rows=[_search(clicks=2, impressions=80, final=False), _search(query="gone later", final=False)]
        )
        facts_write(rows=[_search(clicks=5, impressions=120, position=3.0, final=True)])
        row = SearchFact.objects.get()  # the row the final data no longer has is gone too
        assert (row.query, row.clicks, row.impressions, row.position_sum, row.final) == (
            "car shipping toronto", 5, 120, 360.0, True,
        )  # fmt: skip
        facts_write(rows=[_search(clicks=1, impressions=10, final=False)])  # a late provisional fetch
        assert SearchFact.objects.get().clicks == 5


def test_text_longer_than_its_column_is_cut_not_fatal(alpha):
    long_query = "car shipping " * 60  # 780 characters
    with tenant_context(alpha.tenant):
        facts_write(rows=[_search(query=long_query), _search(query=long_query + "x", clicks=1)])
        row = SearchFact.objects.get()  # cut to 500 characters, the two became one row
        assert row.query == long_query[:500]


def test_a_day_missing_from_a_fetch_keeps_its_rows(alpha):
    # Search Console lags 2–3 days: a window whose last days are empty must not wipe them.
    with tenant_context(alpha.tenant):
        facts_write(rows=[_search(day=DAY), _search(day=DAY + timedelta(days=1))])
        facts_write(rows=[_search(day=DAY, clicks=4)])
        assert sorted(SearchFact.objects.values_list("day", "clicks")) == [
            (DAY, 4),
            (DAY + timedelta(days=1), 3),
        ]


def test_key_event_counts_are_stored_as_whole_numbers(alpha):
    from marketing.metrics import Period, totals

    row = TrafficRow(DAY, "Direct", "/", 10, 9, 5, 6, 0.4, 80.0, {"lead_form": 2.0, "phone_click": 1})
    with tenant_context(alpha.tenant):
        facts_write(rows=[row])
        assert TrafficFact.objects.get().key_events == {"lead_form": 2, "phone_click": 1}
        assert totals(tenant=alpha.tenant, periods=[Period(DAY, DAY)])[0]["lead_form"] == 2


# --- runs, retries, revoked credentials -------------------------------------------------------------


class Scripted:
    """A connector registered under a Google name that answers from a script: rows, or an error."""

    calls: list = []

    def __init__(self):
        self.name = "gsc"

    def fetch(self, tenant, start, end):
        step = Scripted.calls.pop(0)
        if isinstance(step, Exception):
            raise step
        return iter(step(tenant))


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setitem(connectors.CONNECTORS, "gsc", Scripted)
    Scripted.calls = []
    return Scripted.calls


def _connect(world, name="gsc"):
    TenantConfig.objects.filter(pk=world.tenant.pk).update(
        connectors={name: {"site_url": "sc-domain:example.ca"}}
    )
    world.tenant.config.refresh_from_db()


def _nightly(django_capture_on_commit_callbacks, when=NIGHT):
    from marketing.tasks import ingestion_schedule_all

    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        return ingestion_schedule_all.apply().get()


def test_nightly_fan_out_runs_each_tenants_connectors_and_a_failure_stays_with_its_tenant(
    alpha, beta, scripted, django_capture_on_commit_callbacks
):
    _connect(alpha)  # alpha uses Search Console, which fails; beta has no credentials: demo data
    scripted.append(ConnectorError("Search Console said: 403 User does not have sufficient permission"))
    _nightly(django_capture_on_commit_callbacks)
    with tenant_context(alpha.tenant):
        run = IngestionRun.objects.get()
        assert (run.connector, run.status, run.trigger) == ("gsc", "failed", "schedule")
        assert "sufficient permission" in run.error and run.finished is not None
        assert (run.window_start, run.window_end) == (
            date(2026, 11, 19),
            date(2026, 11, 23),
        )  # 5 days to yesterday
    with tenant_context(beta.tenant):
        run = IngestionRun.objects.get()
        assert (run.connector, run.status, run.attempts) == ("demo", "succeeded", 1)
        assert run.rows == SearchFact.objects.count() + TrafficFact.objects.count() + AdsFact.objects.count()
        assert set(SearchFact.objects.values_list("day", flat=True)) == {
            date(2026, 11, d) for d in range(19, 24)
        }
    # the same night again (a redelivered fan-out) queues nothing more
    _nightly(django_capture_on_commit_callbacks, NIGHT + timedelta(minutes=20))
    with tenant_context(beta.tenant):
        assert IngestionRun.objects.count() == 1


def test_nothing_is_queued_outside_the_tenants_ingestion_hour(alpha):
    with tenant_context(alpha.tenant):
        assert ingestion_schedule_tenant(tenant=alpha.tenant, now=NIGHT - timedelta(hours=1)) == []
        assert ingestion_schedule_tenant(tenant=alpha.tenant, now=NIGHT + timedelta(hours=1)) == []
        assert not IngestionRun.objects.exists()
    assert (
        settings.CELERY_BEAT_SCHEDULE["marketing-ingestion"]["task"]
        == "marketing.tasks.ingestion_schedule_all"
    )


def test_the_nightly_check_reads_the_tenants_configuration_afresh(alpha, django_capture_on_commit_callbacks):
    from marketing.tasks import ingestion_schedule

    stale = alpha.tenant
    assert stale.config.timezone == "America/Toronto"  # now cached on this instance
    TenantConfig.objects.filter(pk=stale.pk).update(timezone="Asia/Tokyo")
    tokyo_4am = datetime(2026, 11, 24, 19, 30, tzinfo=UTC)  # 14:30 in Toronto
    with time_machine.travel(tokyo_4am, tick=False), tenant_context(stale):
        with django_capture_on_commit_callbacks(execute=True):
            assert len(ingestion_schedule.run()) == 1
        assert IngestionRun.objects.get().window_end == date(2026, 11, 24)  # yesterday in Tokyo


def test_too_many_requests_is_retried_then_succeeds(alpha, scripted):
    from marketing.tasks import ingestion_run

    scripted.append(ConnectorTemporaryError("429 Too Many Requests", retry_after=30))
    scripted.append(lambda tenant: [_search()])
    with tenant_context(alpha.tenant):
        run = ingestion_run_create(connector="gsc", start=DAY, end=DAY, trigger="manual")
        ingestion_run.apply(kwargs={"run_id": run.pk}, throw=False)  # retries run inline
        run.refresh_from_db()
        assert (run.status, run.attempts, run.rows, run.error) == ("succeeded", 2, 1, "")
        assert SearchFact.objects.get().clicks == 3


def test_temporary_errors_give_up_after_the_last_retry(alpha, scripted, settings):
    from marketing.tasks import ingestion_run

    settings.INGESTION_MAX_RETRIES = 1
    scripted.extend(ConnectorTemporaryError("503 Service Unavailable") for _ in range(2))
    with tenant_context(alpha.tenant):
        run = ingestion_run_create(connector="gsc", start=DAY, end=DAY, trigger="manual")
        ingestion_run.apply(kwargs={"run_id": run.pk}, throw=False)  # retries run inline
        run.refresh_from_db()
        assert (run.status, run.attempts, run.error) == ("failed", 2, "503 Service Unavailable")
    assert scripted == []


def test_revoked_credentials_mark_the_connector_and_stop_retrying(alpha, scripted):
    from marketing.tasks import ingestion_run

    _connect(alpha)
    scripted.append(ConnectorCredentialsRevoked("invalid_grant: Token has been expired or revoked."))
    scripted.append(lambda tenant: [_search()])  # would succeed, were it retried
    with tenant_context(alpha.tenant):
        run = ingestion_run_create(connector="gsc", start=DAY, end=DAY, trigger="schedule")
        ingestion_run.apply(kwargs={"run_id": run.pk}, throw=False)  # retries run inline
        run.refresh_from_db()
        assert (run.status, run.attempts) == ("failed", 1)
    assert len(scripted) == 1
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert config.connectors["gsc"]["status"] == "needs_reconnecting"
    assert config.connectors["gsc"]["site_url"] == "sc-domain:example.ca"
    # the nightly run skips it (and does not fall back to demo data)
    assert ingestion_connectors(tenant=config.tenant) == []


def test_connector_choice():
    def tenant(connectors):
        return SimpleNamespace(config=SimpleNamespace(connectors=connectors))

    assert ingestion_connectors(tenant=tenant({})) == ["demo"]
    assert ingestion_connectors(tenant=tenant({"gsc": {"enabled": False}})) == []


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap():
    class Fixed:
        def __init__(self, value):
            self.value = value

        def random(self):
            return self.value

    low, high = Fixed(0.0), Fixed(1.0)
    assert [retry_delay(retries=n, rng=high) for n in range(4)] == [60, 120, 240, 480]
    assert [retry_delay(retries=n, rng=low) for n in range(4)] == [30, 60, 120, 240]
    assert retry_delay(retries=10, rng=high) == 3600  # capped at an hour
    assert retry_delay(retries=0, rng=low, retry_after=90) == 90  # the provider's Retry-After wins


# --- manage.py ingest --------------------------------------------------------------------------------


def test_ingest_command_backfills_with_a_progress_bar_and_a_summary(alpha, capsys):
    with time_machine.travel(NIGHT, tick=False):
        call_command("ingest", "--tenant", "alpha", "--connector", "demo", "--days", "3")
    out, err = capsys.readouterr()
    assert "[##############################] 3/3 days" in err
    assert "1 run(s) succeeded, 0 failed" in out
    with tenant_context(alpha.tenant):
        run = IngestionRun.objects.get()
        assert (run.trigger, run.window_start, run.window_end) == (
            "manual",
            date(2026, 11, 21),
            date(2026, 11, 23),
        )
        assert SearchFact.objects.filter(day__lt=date(2026, 11, 21)).count() == 0


def test_ingest_all_goes_on_past_a_failing_tenant_and_exits_non_zero(alpha, beta, scripted, capsys):
    _connect(alpha)
    scripted.append(ConnectorError("Search Console said: 403 Forbidden"))
    with time_machine.travel(NIGHT, tick=False), pytest.raises(CommandError, match="Some runs failed"):
        call_command("ingest", "--all", "--days", "2")
    out, err = capsys.readouterr()
    assert "alpha/gsc: failed — Search Console said: 403 Forbidden" in err
    assert "1 run(s) succeeded, 1 failed" in out
    with tenant_context(beta.tenant):
        assert IngestionRun.objects.get().status == "succeeded"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tenant", "nope"], "No active tenant with the subdomain 'nope'."),
        (["--tenant", "alpha", "--days", "0"], "Days must be between 1 and 800."),
        (["--tenant", "alpha", "--days", "801"], "Days must be between 1 and 800."),
        (
            ["--tenant", "alpha", "--since", "2026-11-24"],
            "--since must be 2026-11-23 or earlier (yesterday).",
        ),
        (
            ["--tenant", "alpha", "--since", "2026-02-30"],
            "'2026-02-30' is not a date; write it as YYYY-MM-DD",
        ),
        (["--tenant", "alpha", "--connector", "bing"], "invalid choice: 'bing'"),
        (["--days", "3"], "one of the arguments --tenant --all is required"),
    ],
)
def test_ingest_command_refuses_bad_input_with_a_sentence(alpha, args, message):
    with time_machine.travel(NIGHT, tick=False), pytest.raises(CommandError, match=re.escape(message)):
        call_command("ingest", *args)
    with tenant_context(alpha.tenant):
        assert not IngestionRun.objects.exists()


def test_ingest_command_accepts_the_longest_window(alpha, monkeypatch):
    seen = []
    monkeypatch.setattr(
        DemoConnector, "fetch", lambda self, tenant, start, end: seen.append((start, end)) or iter(())
    )
    with time_machine.travel(NIGHT, tick=False):
        call_command("ingest", "--tenant", "alpha", "--connector", "demo", "--days", "800")
    assert seen == [(date(2026, 11, 23) - timedelta(days=799), date(2026, 11, 23))]
