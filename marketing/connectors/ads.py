"""Google Ads: impressions, clicks, cost and conversions by day × campaign, through GAQL.

The google-ads library speaks gRPC only: one `GoogleAdsService.search_stream` call returns every
row of the window in batches (no paging to do). Cost comes as `cost_micros` (an integer in
millionths of the account currency) and becomes an exact Decimal; conversions are a double in the
API (fractional with data-driven attribution) and become a Decimal of its shortest repr.

Credentials: the access token is refreshed before the call, over HTTPS, so a revoked refresh
token fails here as `invalid_grant` (→ ConnectorCredentialsRevoked) instead of inside gRPC's
metadata plugin, which would report it as a retryable UNAVAILABLE. Every call also needs this
deployment's GOOGLE_ADS_DEVELOPER_TOKEN. No retry here: ingestion retries
ConnectorTemporaryError with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import google.auth.exceptions
import google.auth.transport.requests
import grpc
import requests
from django.conf import settings
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.api_core import exceptions as api_exceptions

from marketing.connectors.base import (
    AdsRow,
    ConnectorCredentialsRevoked,
    ConnectorError,
    ConnectorTemporaryError,
)
from marketing.connectors.ga4 import api_error
from marketing.connectors.google import (
    ConnectorNotConfigured,
    connector_settings,
    google_credentials,
    refresh_error,
)

API_VERSION = "v26"
QUERY = """
    SELECT campaign.id, campaign.name, segments.date,
           metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions
    FROM campaign
    WHERE segments.date BETWEEN '{start}' AND '{end}'
"""
MICROS = Decimal(1_000_000)
TEMPORARY_STATUSES = {
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.ABORTED,
}
REVOKED_STATUSES = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def _digits(value) -> str:
    return "".join(ch for ch in str(value or "") if ch.isdigit())


class AdsConnector:
    name = "ads"

    def fetch(self, tenant, start: date, end: date) -> Iterator[AdsRow]:
        stored = connector_settings(tenant, self.name)
        if not settings.GOOGLE_ADS_DEVELOPER_TOKEN:
            raise ConnectorNotConfigured("ads: GOOGLE_ADS_DEVELOPER_TOKEN is not set on this deployment.")
        credentials = google_credentials(tenant, self.name)
        try:
            credentials.refresh(google.auth.transport.requests.Request())
        except google.auth.exceptions.RefreshError as exc:
            raise refresh_error(self.name, exc) from exc
        except google.auth.exceptions.TransportError as exc:
            raise ConnectorTemporaryError(f"ads: could not reach Google: {exc}") from exc
        client = GoogleAdsClient(
            credentials=credentials,
            developer_token=settings.GOOGLE_ADS_DEVELOPER_TOKEN,
            login_customer_id=_digits(stored.get("login_customer_id")) or None,
            version=API_VERSION,
            use_proto_plus=True,
        )
        service = client.get_service("GoogleAdsService")
        query = QUERY.format(start=start.isoformat(), end=end.isoformat())
        try:
            stream = service.search_stream(
                customer_id=_digits(stored["customer_id"]), query=query, timeout=settings.GOOGLE_API_TIMEOUT
            )
            for batch in stream:
                for row in batch.results:
                    yield parse_row(row)
        except GoogleAdsException as exc:
            raise ads_error(exc) from exc
        except api_exceptions.GoogleAPICallError as exc:
            raise api_error(self.name, exc) from exc
        except google.auth.exceptions.RefreshError as exc:
            raise refresh_error(self.name, exc) from exc
        except (google.auth.exceptions.TransportError, requests.RequestException) as exc:
            raise ConnectorTemporaryError(f"ads: could not reach Google: {exc}") from exc


def parse_row(row) -> AdsRow:
    """One GoogleAdsRow (proto-plus) as an AdsRow."""
    return AdsRow(
        day=date.fromisoformat(row.segments.date),
        campaign_id=str(row.campaign.id),
        campaign_name=row.campaign.name,
        impressions=int(row.metrics.impressions),
        clicks=int(row.metrics.clicks),
        cost=Decimal(int(row.metrics.cost_micros)) / MICROS,
        conversions=Decimal(repr(float(row.metrics.conversions))),
    )


def ads_error(exc: GoogleAdsException) -> ConnectorError:
    status = exc.error.code()
    messages = "; ".join(error.message for error in exc.failure.errors) or str(status)
    message = f"ads: Google Ads answered {status.name} (request {exc.request_id}): {messages}"
    if status in TEMPORARY_STATUSES:
        delays = [
            error.details.quota_error_details.retry_delay.total_seconds()
            for error in exc.failure.errors
            if error.details.quota_error_details.retry_delay
        ]
        return ConnectorTemporaryError(message, retry_after=max(delays) if delays else None)
    if status in REVOKED_STATUSES:
        return ConnectorCredentialsRevoked(message)
    return ConnectorError(message)
