"""Ingestion: connector rows into the daily fact tables, and the run records around each fetch.

Writes go in bulk: rows are COPYed into a temporary staging table per kind, then merged into the
fact table with one `INSERT … ON CONFLICT (natural key) DO UPDATE`. A day a fetch brings is replaced
as a whole (rows the provider no longer reports for it are removed), so fetching any window again
never double-counts, and final Search Console numbers replace provisional ones — never the reverse.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from inkwell.errors import Conflict, DomainError
from inkwell.ratelimit import rate_limit
from marketing.connectors import CONNECTORS, connector_for
from marketing.connectors.base import (
    AdsRow,
    ConnectorCredentialsRevoked,
    ConnectorError,
    ConnectorTemporaryError,
    Row,
    SearchRow,
    TrafficRow,
)
from marketing.connectors.google import STATUS_NEEDS_RECONNECTING
from marketing.models import IngestionRun
from marketing.selectors_ingestion import ACTIVE, CONNECTED, LABELS, connector_state
from marketing.services.google_connect import connector_mark_revoked
from tenants.models import TenantConfig
from tenants.services.audit import audit_record

logger = logging.getLogger(__name__)

GOOGLE_CONNECTORS = ("gsc", "ga4", "ads")
BATCH = 5000  # rows per COPY into a staging table; memory stays flat whatever the window


@dataclass(frozen=True)
class _Kind:
    table: str
    stage: str
    key: tuple[str, ...]
    values: tuple[str, ...]
    has_final: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.values


SEARCH = _Kind(
    "marketing_searchfact",
    "ingest_stage_search",
    ("day", "query", "page", "device", "country"),
    ("clicks", "impressions", "position_sum", "final"),
    has_final=True,
)
TRAFFIC = _Kind(
    "marketing_trafficfact",
    "ingest_stage_traffic",
    ("day", "channel", "landing_page"),
    ("sessions", "users", "new_users", "engaged_sessions", "bounce_sum", "duration_sum", "key_events"),
)
ADS = _Kind(
    "marketing_adsfact",
    "ingest_stage_ads",
    ("day", "campaign_id"),
    ("campaign_name", "impressions", "clicks", "cost", "conversions"),
)


# Text longer than its column is cut rather than failing a whole night's run (Search Console queries
# and URLs can be very long); rows that become equal are merged by the upsert's DISTINCT ON.
def _search_values(r: SearchRow) -> tuple:
    return (
        r.day, r.query[:500], r.page[:1000], r.device[:8], r.country[:3], r.clicks, r.impressions,
        r.position * r.impressions, r.final,
    )  # fmt: skip


def _traffic_values(r: TrafficRow) -> tuple:
    return (
        r.day, r.channel[:60], r.landing_page[:1000], r.sessions, r.users, r.new_users, r.engaged_sessions,
        r.bounce_rate * r.sessions, r.avg_session_duration * r.sessions,
        # GA4 reports key-event counts as floats ("3.0"); they are counts, and sums cast them to integers
        json.dumps({name: round(float(count)) for name, count in r.key_events.items()}),
    )  # fmt: skip


def _ads_values(r: AdsRow) -> tuple:
    return (r.day, r.campaign_id[:40], r.campaign_name[:255], r.impressions, r.clicks, r.cost, r.conversions)


ROUTES: dict[type, tuple[_Kind, Callable]] = {
    SearchRow: (SEARCH, _search_values),
    TrafficRow: (TRAFFIC, _traffic_values),
    AdsRow: (ADS, _ads_values),
}


class _Stager:
    """Buffers rows per kind and COPYs each full batch into that kind's temporary staging table."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.buffers: dict[_Kind, list[tuple]] = {}
        self.used: set[_Kind] = set()

    def add(self, row: Row) -> None:
        kind, values = ROUTES[type(row)]
        buffer = self.buffers.setdefault(kind, [])
        buffer.append(values(row))
        if len(buffer) >= BATCH:
            self.flush(kind)

    def flush(self, kind: _Kind) -> None:
        rows = self.buffers.pop(kind, [])
        if not rows:
            return
        if kind not in self.used:
            self.used.add(kind)
            cols = ", ".join(kind.columns)
            self.cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{kind.stage}")
            self.cursor.execute(
                f"CREATE TEMP TABLE {kind.stage} ON COMMIT DROP AS SELECT {cols} FROM {kind.table} WITH NO DATA"  # noqa: S608
            )
        # Django's cursor wrapper holds a psycopg cursor whose search_path django-tenants has set.
        with self.cursor.cursor.copy(f"COPY {kind.stage} ({', '.join(kind.columns)}) FROM STDIN") as copy:
            for values in rows:
                copy.write_row(values)

    def finish(self) -> list[_Kind]:
        for kind in list(self.buffers):
            self.flush(kind)
        return [kind for kind in (SEARCH, TRAFFIC, ADS) if kind in self.used]


def _merge(cursor, kind: _Kind) -> None:
    key = ", ".join(kind.key)
    cols = ", ".join(kind.columns)
    matches = " AND ".join(f"s.{c} = f.{c}" for c in kind.key)
    if kind.has_final:
        # A provisional fetch of a day already stored as final changes nothing for that day.
        cursor.execute(
            f"DELETE FROM {kind.stage} s WHERE NOT s.final AND s.day IN "  # noqa: S608 (constant names)
            f"(SELECT DISTINCT f.day FROM {kind.table} f WHERE f.final AND f.day BETWEEN "
            f"(SELECT min(day) FROM {kind.stage}) AND (SELECT max(day) FROM {kind.stage}))"
        )
    # The fetch is the whole truth about each day it brings: rows it no longer has are dropped.
    cursor.execute(
        f"DELETE FROM {kind.table} f WHERE f.day IN (SELECT DISTINCT day FROM {kind.stage}) "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {kind.stage} s WHERE {matches})"
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in kind.values)
    changed = " OR ".join(f"{kind.table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in kind.values)
    cursor.execute(
        f"INSERT INTO {kind.table} ({cols}) SELECT DISTINCT ON ({key}) {cols} FROM {kind.stage} "  # noqa: S608
        f"ORDER BY {key} ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {changed}"
    )
    cursor.execute(f"DROP TABLE {kind.stage}")


def facts_write(*, rows: Iterable[Row], progress: Callable[[date], None] | None = None) -> int:
    """Upsert connector rows into the fact tables of the current schema, in one transaction.
    Returns how many rows were read. `progress` is told each new day as the rows reach it."""
    count = 0
    last_day = None
    with transaction.atomic(), connection.cursor() as cursor:
        stager = _Stager(cursor)
        for row in rows:
            stager.add(row)
            count += 1
            if progress is not None and row.day != last_day:
                last_day = row.day
                progress(row.day)
        for kind in stager.finish():
            _merge(cursor, kind)
        if count:  # the dashboard's cached sums are out of date: for this transaction now, for others
            from marketing.metrics import facts_changed  # once it commits (reads meanwhile saw old facts)

            facts_changed()
            transaction.on_commit(facts_changed)
    return count


# --- Which connectors a tenant runs ----------------------------------------------------------------


def tenant_local_today(tenant, *, now=None) -> date:
    return timezone.localtime(now or timezone.now(), ZoneInfo(tenant.config.timezone)).date()


def ingestion_connectors(*, tenant) -> list[str]:
    """The connectors the nightly run fetches for `tenant`: each Google connector configured in its
    settings and not switched off (`"enabled": false`) or waiting to be reconnected; a tenant that
    has none configured gets the demo data."""
    settings_by_name = tenant.config.connectors or {}
    configured = [name for name in GOOGLE_CONNECTORS if isinstance(settings_by_name.get(name), dict)]
    enabled = [
        name
        for name in configured
        if settings_by_name[name].get("enabled", True)
        and settings_by_name[name].get("status") != STATUS_NEEDS_RECONNECTING
        and name in CONNECTORS
    ]
    return enabled if configured else ["demo"]


# --- Runs ------------------------------------------------------------------------------------------


def ingestion_window(
    *, tenant, days: int | None = None, since: date | None = None, now=None
) -> tuple[date, date]:
    """The window a run fetches, ending yesterday in the tenant's time zone: the trailing
    `days` (INGESTION_WINDOW_DAYS by default) or every day from `since`."""
    end = tenant_local_today(tenant, now=now) - timedelta(days=1)
    if since is not None:
        if since > end:
            raise DomainError(
                f"--since must be {end.isoformat()} or earlier (yesterday).", code="since_in_future"
            )
        return since, end
    days = settings.INGESTION_WINDOW_DAYS if days is None else days
    if not 1 <= days <= settings.INGESTION_MAX_DAYS:
        raise DomainError(
            f"Days must be between 1 and {settings.INGESTION_MAX_DAYS}.", code="days_out_of_range"
        )
    return end - timedelta(days=days - 1), end


def _check_known(connector: str) -> None:
    if connector not in CONNECTORS:
        known = ", ".join(sorted(CONNECTORS))
        raise DomainError(f"No connector named {connector!r}; use one of {known}.", code="unknown_connector")


def ingestion_run_create(*, connector: str, start: date, end: date, trigger: str) -> IngestionRun:
    _check_known(connector)
    if start > end:
        raise DomainError("The window's start is after its end.", code="range_reversed")
    return IngestionRun.objects.create(
        connector=connector, window_start=start, window_end=end, trigger=trigger
    )


FINISHED = frozenset({IngestionRun.Status.SUCCEEDED, IngestionRun.Status.FAILED})


def _finish(run: IngestionRun, **fields) -> None:
    """Save `fields` on `run`; a run that ends (succeeded, or failed for good) announces it with an
    `ingestion.finished` event in the same transaction."""
    from chat.services.events import event_emit

    for name, value in fields.items():
        setattr(run, name, value)
    with transaction.atomic():
        run.save(update_fields=[*fields])
        if fields.get("status") in FINISHED:
            event_emit(
                type="ingestion.finished",
                data={
                    "run": run.pk,
                    "connector": run.connector,
                    "status": run.status,
                    "trigger": run.trigger,
                    "rows": run.rows,
                    "window_start": run.window_start.isoformat(),
                    "window_end": run.window_end.isoformat(),
                },
                actor_label="system",
            )


def ingestion_run_execute(
    *, run_id: int, tenant, will_retry: bool = False, progress: Callable[[date], None] | None = None
) -> IngestionRun:
    """Fetch the run's window from its connector and write it. Safe to call again: a run that
    already succeeded is left alone. A ConnectorError is recorded on the run and raised again (the
    task decides about retrying); revoked credentials also mark the connector "needs reconnecting"."""
    run = IngestionRun.objects.get(pk=run_id)
    if run.status == IngestionRun.Status.SUCCEEDED:
        return run
    _finish(
        run, status=IngestionRun.Status.RUNNING, started=timezone.now(), attempts=run.attempts + 1, error=""
    )
    try:
        rows = connector_for(run.connector).fetch(tenant, run.window_start, run.window_end)
        count = facts_write(rows=rows, progress=progress)
        if run.connector in ("ads", "demo"):
            from marketing.services.campaigns import campaigns_sync_from_ads

            campaigns_sync_from_ads()
    except ConnectorError as exc:
        retrying = will_retry and isinstance(exc, ConnectorTemporaryError)
        _finish(
            run,
            status=IngestionRun.Status.RETRYING if retrying else IngestionRun.Status.FAILED,
            finished=None if retrying else timezone.now(),
            error=exc.message[:2000],
        )
        if isinstance(exc, ConnectorCredentialsRevoked):
            connector_mark_revoked(tenant=tenant, connector=run.connector, reason=exc.message)
        raise
    except Exception as exc:
        _finish(
            run,
            status=IngestionRun.Status.FAILED,
            finished=timezone.now(),
            error=f"Internal error: {exc!r}"[:2000],
        )
        raise
    _finish(run, status=IngestionRun.Status.SUCCEEDED, finished=timezone.now(), rows=count)
    return run


def retry_delay(*, retries: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds before retry number `retries` + 1: exponential from a minute, capped at an hour, with
    "equal jitter" (half fixed, half random) so tenants that failed together don't retry together;
    never sooner than the provider's Retry-After."""
    ceiling = min(settings.INGESTION_RETRY_MAX_SECONDS, settings.INGESTION_RETRY_BASE_SECONDS * 2**retries)
    delay = ceiling / 2 + (rng or random).random() * ceiling / 2
    return max(delay, retry_after or 0)


def ingestion_schedule_tenant(*, tenant, now=None) -> list[int]:
    """The nightly run for one tenant: at its local INGESTION_HOUR, one run per connector it uses
    over the trailing window, each queued after commit. A second call for the same night (a
    redelivered fan-out) queues nothing more. Returns the new runs' ids."""
    from inkwell.queue import enqueue_on_commit
    from marketing.tasks import ingestion_run

    now = now or timezone.now()
    if timezone.localtime(now, ZoneInfo(tenant.config.timezone)).hour != settings.INGESTION_HOUR:
        return []
    start, end = ingestion_window(tenant=tenant, now=now)
    created = []
    with transaction.atomic():
        for name in ingestion_connectors(tenant=tenant):
            already = IngestionRun.objects.filter(
                connector=name, trigger=IngestionRun.Trigger.SCHEDULE, window_end=end
            ).exists()
            if already:
                continue
            run = ingestion_run_create(
                connector=name, start=start, end=end, trigger=IngestionRun.Trigger.SCHEDULE
            )
            enqueue_on_commit(ingestion_run, run_id=run.pk)
            created.append(run.pk)
    return created


# --- "Run now": the owner's button in dashboard settings and staff's in the admin ------------------

# Manual runs per connector and tenant: enough to retry after fixing a setting, not enough to
# hammer Google's quotas (each run re-fetches the whole trailing window).
RUN_NOW_LIMIT = 5
RUN_NOW_WINDOW = 3600
# A run still "queued" or "running" after this long was lost (a worker died mid-task): it no longer
# blocks a new one, or one lost task would block the button for good.
RUN_NOW_ACTIVE_FOR = timedelta(hours=6)


def ingestion_run_now(*, tenant, connector: str, actor) -> IngestionRun:
    """Queue a manual run of `connector` over the trailing window, as the nightly run would. Refused
    (409) for a connector this tenant doesn't run or while one of its runs is queued, running or
    waiting to retry; rate-limited (429) per connector. The task is queued after commit."""
    from inkwell.queue import enqueue_on_commit
    from marketing.tasks import ingestion_run

    _check_known(connector)
    label = LABELS.get(connector, connector)
    with transaction.atomic():
        # The config row serialises two "run now" clicks (two tabs, two owners) for this tenant.
        TenantConfig.objects.select_for_update().filter(pk=tenant.pk).first()
        if connector_state(tenant=tenant, connector=connector) != CONNECTED:
            raise Conflict(f"{label} is not connected, so it can't run.", code="connector_not_connected")
        busy = IngestionRun.objects.filter(
            connector=connector, status__in=ACTIVE, created__gte=timezone.now() - RUN_NOW_ACTIVE_FOR
        ).exists()
        if busy:
            raise Conflict(
                f"{label} is already fetching; wait for that run to finish.", code="ingestion_run_active"
            )
        rate_limit(
            scope="ingestion-run-now",
            key=f"{tenant.schema_name}:{connector}",
            limit=RUN_NOW_LIMIT,
            window=RUN_NOW_WINDOW,
            message=f"{label} was run by hand {RUN_NOW_LIMIT} times this hour; try again later.",
        )
        start, end = ingestion_window(tenant=tenant)
        run = ingestion_run_create(
            connector=connector, start=start, end=end, trigger=IngestionRun.Trigger.MANUAL
        )
        audit_record(
            actor=actor,
            action="ingestion.run_now",
            tenant=tenant,
            data={"connector": connector, "run": run.pk},
        )
    # After the block: queued once the caller's own transaction (if any) commits.
    enqueue_on_commit(ingestion_run, run_id=run.pk)
    return run
