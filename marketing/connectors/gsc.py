"""Google Search Console: Search Analytics by day × query × page × device × country.

Which days are final: every request asks for `dataState: "all"` (final days plus the provisional
recent ones, which Search Console fills in over 2–3 days). Grouped by date, such an answer carries
`metadata.firstIncompleteDate` whenever the window reaches into data still being processed
(a date in America/Los_Angeles, as all of Search Console's dates are): rows on or after that date
come back with `final=False`, earlier ones with `final=True`. An answer without it has no
provisional day in it, so all of its rows are final. This costs no second query, and it follows
Google's own word on each day rather than a guessed lag; ingestion re-fetches a trailing window,
so a provisional day is replaced by its final numbers a few nights later.

Paging: `rowLimit` 25,000 (the API's maximum) and `startRow` advanced by that much until a page
comes back short. Failures: no retry here — the client library is called with `num_retries=0`
and ingestion retries ConnectorTemporaryError with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from django.conf import settings
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from marketing.connectors.base import (
    ConnectorCredentialsRevoked,
    ConnectorError,
    ConnectorTemporaryError,
    SearchRow,
)
from marketing.connectors.google import (
    connector_settings,
    google_credentials,
    refresh_error,
    retry_after_seconds,
)

DIMENSIONS = ["date", "query", "page", "device", "country"]
ROW_LIMIT = 25_000
# 403s that mean "slow down", not "you may not".
QUOTA_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}


class SearchConsoleConnector:
    name = "gsc"

    def __init__(self, *, http: httplib2.Http | None = None, row_limit: int = ROW_LIMIT):
        # `http` is the transport under the authorised one: tests give an HttpMockSequence.
        self._http = http
        self.row_limit = row_limit

    def fetch(self, tenant, start: date, end: date) -> Iterator[SearchRow]:
        site_url = connector_settings(tenant, self.name)["site_url"]
        credentials = google_credentials(tenant, self.name)
        base_http = self._http or httplib2.Http(timeout=settings.GOOGLE_API_TIMEOUT)
        authed = google_auth_httplib2.AuthorizedHttp(credentials, http=base_http)
        service = build("searchconsole", "v1", http=authed, cache_discovery=False, static_discovery=True)
        start_row = 0
        while True:
            body = {
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
                "dimensions": DIMENSIONS,
                "type": "web",
                "dataState": "all",
                "rowLimit": self.row_limit,
                "startRow": start_row,
            }
            response = self._execute(service.searchanalytics().query(siteUrl=site_url, body=body))
            rows = response.get("rows", [])
            first_incomplete = (response.get("metadata") or {}).get("firstIncompleteDate")
            first_incomplete = date.fromisoformat(first_incomplete) if first_incomplete else None
            for row in rows:
                yield parse_row(row, first_incomplete)
            if len(rows) < self.row_limit:
                return
            start_row += self.row_limit

    def _execute(self, request) -> dict:
        try:
            return request.execute(num_retries=0)
        except HttpError as exc:
            raise http_error(exc) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise refresh_error(self.name, exc) from exc
        except (TimeoutError, google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise ConnectorTemporaryError(f"gsc: could not reach Search Console: {exc}") from exc


def parse_row(row: dict, first_incomplete: date | None) -> SearchRow:
    day_text, query, page, device, country = row["keys"]
    day = date.fromisoformat(day_text)
    return SearchRow(
        day=day,
        query=query,
        page=page,
        device=device,  # Search Console's own spelling: DESKTOP, MOBILE, TABLET
        country=country,  # ISO 3166-1 alpha-3, lower case
        # Search Console sends counts as JSON numbers of type double; they are whole.
        clicks=round(row.get("clicks", 0)),
        impressions=round(row.get("impressions", 0)),
        position=float(row.get("position", 0.0)),
        final=first_incomplete is None or day < first_incomplete,
    )


def http_error(exc: HttpError) -> ConnectorError:
    status = exc.resp.status
    reasons = {detail.get("reason") for detail in (exc.error_details or []) if isinstance(detail, dict)}
    message = f"gsc: Search Console answered {status}: {exc.reason}"
    if status == 429 or status >= 500 or (status == 403 and reasons & QUOTA_REASONS):
        return ConnectorTemporaryError(message, retry_after=retry_after_seconds(exc.resp.get("retry-after")))
    if status in (401, 403):
        return ConnectorCredentialsRevoked(message)
    return ConnectorError(message)
