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
from google.ads.googleads.v26.errors.types.errors import GoogleAdsFailure
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

API_VERSION = "v26"  # pinned with the GoogleAdsFailure import above: GAQL and error protos are per version
FAILURE_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"
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
            raise status_error(exc.error.code(), exc.failure, exc.request_id) from exc
        except api_exceptions.GoogleAPICallError as exc:
            # RESOURCE_EXHAUSTED and INTERNAL: the library's interceptor leaves these as plain gRPC
            # errors (api_core wraps them); the GoogleAdsFailure is still in the trailing metadata.
            call = exc.response if isinstance(exc.response, grpc.Call) else None
            if exc.grpc_status_code is None or call is None:
                raise api_error(self.name, exc) from exc
            raise status_error(exc.grpc_status_code, failure_of(call), None) from exc
        except grpc.RpcError as exc:
            call = exc if isinstance(exc, grpc.Call) else None
            code = call.code() if call else grpc.StatusCode.UNKNOWN
            raise status_error(code, failure_of(call) if call else None, None) from exc
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


def failure_of(call: grpc.Call) -> GoogleAdsFailure | None:
    """The GoogleAdsFailure the API puts in a failed call's trailing metadata, if any."""
    for key, value in call.trailing_metadata() or ():
        if key == FAILURE_KEY:
            return GoogleAdsFailure.deserialize(value)
    return None


def status_error(status: grpc.StatusCode, failure: GoogleAdsFailure | None, request_id) -> ConnectorError:
    """A failed call by its gRPC status: exhausted quota, unavailable, deadline → temporary (after
    the quota error's own retry delay when it gives one); unauthenticated or permission denied →
    revoked credentials; anything else (a bad query, a wrong customer id) fails the run."""
    errors = list(failure.errors) if failure else []
    messages = "; ".join(error.message for error in errors) or status.name
    message = f"ads: Google Ads answered {status.name} (request {request_id or '?'}): {messages}"
    if status in TEMPORARY_STATUSES:
        delays = [
            error.details.quota_error_details.retry_delay.total_seconds()
            for error in errors
            if error.details.quota_error_details.retry_delay
        ]
        return ConnectorTemporaryError(message, retry_after=max(delays) if delays else None)
    if status in REVOKED_STATUSES:
        return ConnectorCredentialsRevoked(message)
    return ConnectorError(message)
