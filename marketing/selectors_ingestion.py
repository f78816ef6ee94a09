"""How each analytics connector of a tenant is doing: connected or not, its last run, and whether
the owner should worry (the last run failed, or nothing succeeded lately). Read by dashboard
settings and the overview; the run-now service uses `connector_state` to refuse what can't run."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from django.utils import timezone

from marketing.connectors.google import (
    GOOGLE_CONNECTORS,
    REQUIRED_SETTINGS,
    SECRETS_KEY,
    STATUS_NEEDS_RECONNECTING,
)
from marketing.models import IngestionRun

# No successful fetch for this long and the numbers on the dashboard are out of date.
STALE_AFTER = timedelta(days=2)
LABELS = {"gsc": "Search Console", "ga4": "Google Analytics 4", "ads": "Google Ads", "demo": "Demo data"}
ACTIVE = (IngestionRun.Status.QUEUED, IngestionRun.Status.RUNNING, IngestionRun.Status.RETRYING)

CONNECTED = "connected"
NOT_CONNECTED = "not_connected"
NEEDS_RECONNECTING = "needs_reconnecting"
OFF = "off"  # set up, but switched off (`"enabled": false` in its settings): not fetched


class ConnectorHealth(TypedDict):
    connector: str  # "gsc" | "ga4" | "ads" | "demo"
    label: str
    connected: bool  # state == "connected": the nightly run fetches it and "Run now" works
    state: str  # "connected" | "not_connected" | "needs_reconnecting" | "off"
    status_reason: str  # why it needs reconnecting (Google's refusal), else ""
    last_run: IngestionRun | None  # the newest run, whatever its status
    last_success: IngestionRun | None  # the newest succeeded run
    active: bool  # last_run is queued, running or waiting to retry
    stale: bool  # connected, and no run succeeded in the last STALE_AFTER
    failed: bool  # the newest run failed


def _uses_demo(tenant) -> bool:
    connectors = tenant.config.connectors or {}
    return not any(isinstance(connectors.get(name), dict) for name in GOOGLE_CONNECTORS)


def connector_names(*, tenant) -> list[str]:
    """The connectors the owner sees: the three Google ones always (so the unconnected ones invite
    connecting), and the demo data while no Google connector is set up (it is what ingestion runs)."""
    return [*GOOGLE_CONNECTORS, "demo"] if _uses_demo(tenant) else list(GOOGLE_CONNECTORS)


def connector_state(*, tenant, connector: str) -> str:
    """One of CONNECTED, NOT_CONNECTED, NEEDS_RECONNECTING, OFF. Reads only the tenant's config."""
    if connector == "demo":
        return CONNECTED if _uses_demo(tenant) else OFF
    if connector not in GOOGLE_CONNECTORS:
        return NOT_CONNECTED
    stored = (tenant.config.connectors or {}).get(connector)
    stored = stored if isinstance(stored, dict) else {}
    if stored.get("status") == STATUS_NEEDS_RECONNECTING:
        return NEEDS_RECONNECTING
    secrets = tenant.config.connector_secrets or {}
    has_credentials = bool(secrets.get(SECRETS_KEY) or secrets.get(connector))
    configured = all(str(stored.get(key) or "").strip() for key in REQUIRED_SETTINGS[connector])
    if not (has_credentials and configured):
        return NOT_CONNECTED
    return CONNECTED if stored.get("enabled", True) else OFF


def _latest_per_connector(runs, names) -> dict[str, IngestionRun]:
    # One query whatever the number of connectors: PostgreSQL's DISTINCT ON keeps the first row of
    # each connector in this order (the ingestion_run_recent index serves it).
    latest = runs.filter(connector__in=names).order_by("connector", "-created", "-id").distinct("connector")
    return {run.connector: run for run in latest}


def connector_health(*, tenant) -> list[ConnectorHealth]:
    """Each connector of `connector_names`, in that order. Two queries in the tenant's schema (the
    newest run and the newest success per connector), plus the tenant's config if not yet loaded."""
    names = connector_names(tenant=tenant)
    last_runs = _latest_per_connector(IngestionRun.objects.all(), names)
    successes = _latest_per_connector(
        IngestionRun.objects.filter(status=IngestionRun.Status.SUCCEEDED), names
    )
    since = timezone.now() - STALE_AFTER
    health = []
    for name in names:
        state = connector_state(tenant=tenant, connector=name)
        last_run, last_success = last_runs.get(name), successes.get(name)
        stored = (tenant.config.connectors or {}).get(name)
        succeeded_at = last_success and (last_success.finished or last_success.created)
        health.append(
            ConnectorHealth(
                connector=name,
                label=LABELS[name],
                connected=state == CONNECTED,
                state=state,
                status_reason=(stored.get("status_reason", "") if isinstance(stored, dict) else "")
                if state == NEEDS_RECONNECTING
                else "",
                last_run=last_run,
                last_success=last_success,
                active=last_run is not None and last_run.status in ACTIVE,
                stale=state == CONNECTED and (succeeded_at is None or succeeded_at < since),
                failed=last_run is not None and last_run.status == IngestionRun.Status.FAILED,
            )
        )
    return health
