"""Google Analytics 4: sessions, users and key events by day × default channel group × landing page.

One Data API report (`BetaAnalyticsDataClient.run_report`, REST transport, credentials passed
explicitly) with `keep_empty_rows=True`, paged with `limit`/`offset` until `row_count` is reached.
Key events come per event name as `keyEvents:<name>` metrics; which names is the tenant's
`connectors["ga4"]["key_events"]` (default: lead_form, phone_click). A report takes at most 10
metrics, so past the first four names the key events come from further reports over the same
dimensions, merged by row key.

GA4 finalises data within a day or two; ingestion re-fetches a trailing window, so the connector
does not mark rows final. No retry here: ingestion retries ConnectorTemporaryError with backoff
(the library's run_report has no default retry).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import google.auth.exceptions
import requests
from django.conf import settings
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import DateRange, Dimension, Metric, RunReportRequest
from google.api_core import exceptions as api_exceptions

from marketing.connectors.base import (
    ConnectorCredentialsRevoked,
    ConnectorError,
    ConnectorTemporaryError,
    TrafficRow,
)
from marketing.connectors.google import (
    connector_settings,
    google_credentials,
    refresh_error,
    retry_after_seconds,
    retry_delay_from_details,
)

DIMENSIONS = ["date", "sessionDefaultChannelGroup", "landingPage"]
BASE_METRICS = [
    "sessions",
    "totalUsers",
    "newUsers",
    "engagedSessions",
    "bounceRate",
    "averageSessionDuration",
]
DEFAULT_KEY_EVENTS = ("lead_form", "phone_click")
MAX_METRICS = 10  # the Data API's limit per report
KEY_EVENTS_WITH_BASE = MAX_METRICS - len(BASE_METRICS)
PAGE_SIZE = 100_000  # the API allows 250,000; a tenant's day × channel × page rarely needs a second page


class AnalyticsConnector:
    name = "ga4"

    def __init__(self, *, client: BetaAnalyticsDataClient | None = None, page_size: int = PAGE_SIZE):
        self._client = client
        self.page_size = page_size

    def fetch(self, tenant, start: date, end: date) -> Iterator[TrafficRow]:
        stored = connector_settings(tenant, self.name)
        prop = str(stored["property_id"]).removeprefix("properties/")
        key_events = list(stored.get("key_events") or DEFAULT_KEY_EVENTS)
        client = self._client or self._make_client(tenant)
        base_events, extra_events = key_events[:KEY_EVENTS_WITH_BASE], key_events[KEY_EVENTS_WITH_BASE:]
        rows: dict[tuple, dict] = {}
        for values in self._report(client, prop, start, end, BASE_METRICS + _key_metrics(base_events)):
            key, metrics = values
            rows[key] = metrics
        for chunk_start in range(0, len(extra_events), MAX_METRICS):
            chunk = extra_events[chunk_start : chunk_start + MAX_METRICS]
            for key, metrics in self._report(client, prop, start, end, _key_metrics(chunk)):
                rows.setdefault(key, {}).update(metrics)
        for key, metrics in rows.items():
            yield _traffic_row(key, metrics, key_events)

    def _make_client(self, tenant) -> BetaAnalyticsDataClient:
        return BetaAnalyticsDataClient(credentials=google_credentials(tenant, self.name), transport="rest")

    def _report(self, client, prop: str, start: date, end: date, metrics: list[str]):
        """(dimension values, {metric: value text}) for every row of every page."""
        offset = 0
        while True:
            request = RunReportRequest(
                property=f"properties/{prop}",
                date_ranges=[DateRange(start_date=start.isoformat(), end_date=end.isoformat())],
                dimensions=[Dimension(name=name) for name in DIMENSIONS],
                metrics=[Metric(name=name) for name in metrics],
                limit=self.page_size,
                offset=offset,
                keep_empty_rows=True,
            )
            response = self._call(client, request)
            names = [header.name for header in response.metric_headers]
            for row in response.rows:
                key = tuple(value.value for value in row.dimension_values)
                yield key, {name: value.value for name, value in zip(names, row.metric_values, strict=True)}
            offset += len(response.rows)
            if not response.rows or offset >= response.row_count:
                return

    def _call(self, client, request):
        try:
            return client.run_report(request=request, timeout=settings.GOOGLE_API_TIMEOUT)
        except api_exceptions.GoogleAPICallError as exc:
            raise api_error(self.name, exc) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise refresh_error(self.name, exc) from exc
        except (google.auth.exceptions.TransportError, requests.RequestException, TimeoutError) as exc:
            raise ConnectorTemporaryError(f"{self.name}: could not reach Google: {exc}") from exc


def _key_metrics(names: list[str]) -> list[str]:
    return [f"keyEvents:{name}" for name in names]


def _traffic_row(key: tuple, metrics: dict, key_events: list[str]) -> TrafficRow:
    day_text, channel, landing_page = key

    def number(name: str) -> float:
        return float(metrics.get(name) or 0)

    return TrafficRow(
        day=datetime.strptime(day_text, "%Y%m%d").date(),
        channel=channel,
        landing_page=landing_page,
        sessions=int(number("sessions")),
        users=int(number("totalUsers")),
        new_users=int(number("newUsers")),
        engaged_sessions=int(number("engagedSessions")),
        bounce_rate=number("bounceRate"),
        avg_session_duration=number("averageSessionDuration"),
        key_events={name: round(number(f"keyEvents:{name}")) for name in key_events},
    )


def api_error(name: str, exc: api_exceptions.GoogleAPICallError) -> ConnectorError:
    """Google's API errors (REST or gRPC) as ConnectorErrors: 429, 5xx and deadline → temporary;
    401 and 403 permission → revoked credentials; the rest fail the run."""
    message = f"{name}: Google answered {exc.code}: {exc.message}"
    if isinstance(exc, api_exceptions.TooManyRequests | api_exceptions.ServerError):
        retry_after = retry_delay_from_details(exc.details)
        response = exc.response
        if retry_after is None and isinstance(response, requests.Response):
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return ConnectorTemporaryError(message, retry_after=retry_after)
    if isinstance(exc, api_exceptions.Unauthorized | api_exceptions.Forbidden):
        return ConnectorCredentialsRevoked(message)
    return ConnectorError(message)
