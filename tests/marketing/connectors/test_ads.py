"""Google Ads connector. The API is gRPC only, so `GoogleAdsServiceClient.search_stream` is
replaced by a fake that answers with the library's own proto-plus messages, and fails the way the
library does: GoogleAdsException (built by its interceptor from the call's trailing metadata) for
most errors, api_core's ResourceExhausted for RESOURCE_EXHAUSTED, which the interceptor leaves alone.
The token refresh before the call is plain HTTPS, recorded with `responses`."""

from datetime import date, timedelta
from decimal import Decimal

import grpc
import pytest
import responses
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.errors.types import authorization_error, quota_error
from google.ads.googleads.v26.errors.types.errors import GoogleAdsError, GoogleAdsFailure
from google.ads.googleads.v26.services.services.google_ads_service import GoogleAdsServiceClient
from google.ads.googleads.v26.services.types.google_ads_service import (
    GoogleAdsRow,
    SearchGoogleAdsStreamResponse,
)
from google.api_core import exceptions as api_exceptions

from marketing.connectors.ads import FAILURE_KEY, AdsConnector
from marketing.connectors.base import AdsRow, ConnectorCredentialsRevoked, ConnectorTemporaryError
from marketing.connectors.google import ConnectorNotConfigured
from tests.marketing.connectors.conftest import TOKEN_OK, TOKEN_REVOKED, TOKEN_URL


def ads_row(campaign_id, name, day, impressions, clicks, cost_micros, conversions):
    return GoogleAdsRow(
        campaign={
            "resource_name": f"customers/1234567890/campaigns/{campaign_id}",
            "id": campaign_id,
            "name": name,
        },
        segments={"date": day},
        metrics={
            "impressions": impressions,
            "clicks": clicks,
            "cost_micros": cost_micros,
            "conversions": conversions,
        },
    )


BATCHES = [
    SearchGoogleAdsStreamResponse(
        results=[
            ads_row(20871234567, "Spring moving season — Ontario", "2026-11-18", 1843, 61, 52_340_000, 3.5),
            ads_row(20871234568, "Car shipping Toronto → Vancouver", "2026-11-18", 402, 9, 7_010_000, 0.0),
        ],
        request_id="kP3j1bq8Zx0",
    ),
    SearchGoogleAdsStreamResponse(
        results=[ads_row(20871234567, "Spring moving season — Ontario", "2026-11-19", 0, 0, 0, 0.0)],
        request_id="kP3j1bq8Zx0",
    ),
]


class FailedCall(grpc.RpcError, grpc.Call):
    """What a failed gRPC call looks like to the library: status, message, trailing metadata."""

    def __init__(self, code, details, failure=None):
        self._code, self._details = code, details
        self._trailing = (("request-id", "kP3j1bq8Zx1"),)
        if failure is not None:
            self._trailing += ((FAILURE_KEY, GoogleAdsFailure.serialize(failure)),)

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing

    def initial_metadata(self):
        return ()

    def is_active(self):
        return False

    def time_remaining(self):
        return None

    def cancel(self):
        return False

    def add_callback(self, callback):
        return False


class FakeStream:
    """search_stream replaced: each call takes the next answer (a list of batches or an exception)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, client, request=None, *, customer_id=None, query=None, timeout=None, **kwargs):
        self.calls.append({"customer_id": customer_id, "query": query, "client": client})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return iter(answer)


@pytest.fixture
def stream(monkeypatch):
    def install(*answers):
        fake = FakeStream(*answers)
        monkeypatch.setattr(
            GoogleAdsServiceClient, "search_stream", lambda self, *a, **kw: fake(self, *a, **kw)
        )
        return fake

    return install


def fetch(tenant):
    return list(AdsConnector().fetch(tenant, date(2026, 11, 18), date(2026, 11, 19)))


@responses.activate
def test_streams_every_batch_and_parses_each_row(connected, stream, monkeypatch):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    clients = []

    class RecordingClient(GoogleAdsClient):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            clients.append(self)

    monkeypatch.setattr("marketing.connectors.ads.GoogleAdsClient", RecordingClient)
    fake = stream(BATCHES)

    rows = fetch(connected)

    assert rows == [
        AdsRow(
            date(2026, 11, 18),
            "20871234567",
            "Spring moving season — Ontario",
            1843,
            61,
            Decimal("52.34"),
            Decimal("3.5"),
        ),
        AdsRow(
            date(2026, 11, 18),
            "20871234568",
            "Car shipping Toronto → Vancouver",
            402,
            9,
            Decimal("7.01"),
            Decimal("0.0"),
        ),
        AdsRow(
            date(2026, 11, 19),
            "20871234567",
            "Spring moving season — Ontario",
            0,
            0,
            Decimal("0"),
            Decimal("0.0"),
        ),
    ]
    (call,) = fake.calls
    assert call["customer_id"] == "1234567890"  # dashes removed, as the API wants it
    query = " ".join(call["query"].split())
    assert query == (
        "SELECT campaign.id, campaign.name, segments.date, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions FROM campaign "
        "WHERE segments.date BETWEEN '2026-11-18' AND '2026-11-19'"
    )
    (client,) = clients
    assert client.developer_token == "test-developer-token"
    assert client.login_customer_id == "9876543210"  # the manager account, dashes removed
    assert client.credentials.token == "ya29.a0AfB_byC-test-access-token"  # refreshed before the call


@responses.activate
def test_exhausted_quota_is_temporary_with_its_retry_delay_and_the_retry_succeeds(connected, stream):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    failure = GoogleAdsFailure(
        errors=[
            GoogleAdsError(
                error_code={
                    "quota_error": quota_error.QuotaErrorEnum.QuotaError.RESOURCE_TEMPORARILY_EXHAUSTED
                },
                message="Too many requests. Retry in 30 seconds.",
                details={
                    "quota_error_details": {
                        "rate_name": "Requests per customer",
                        "retry_delay": timedelta(seconds=30),
                    }
                },
            )
        ]
    )
    call = FailedCall(
        grpc.StatusCode.RESOURCE_EXHAUSTED, "Resource has been exhausted (e.g. check quota).", failure
    )
    stream(api_exceptions.from_grpc_error(call), BATCHES[1:])

    with pytest.raises(ConnectorTemporaryError) as caught:
        fetch(connected)
    assert caught.value.retry_after == 30.0
    assert "Too many requests" in caught.value.message
    assert [row.day for row in fetch(connected)] == [date(2026, 11, 19)]


@responses.activate
def test_unavailable_midway_through_the_stream_is_temporary(connected, stream):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    call = FailedCall(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")

    def broken():
        yield BATCHES[0]
        raise api_exceptions.from_grpc_error(call)

    stream(broken())
    with pytest.raises(ConnectorTemporaryError):
        fetch(connected)


@responses.activate
def test_revoked_refresh_token_marks_credentials_revoked_before_any_call(connected, stream):
    responses.post(TOKEN_URL, json=TOKEN_REVOKED, status=400)
    fake = stream(BATCHES)
    with pytest.raises(ConnectorCredentialsRevoked) as caught:
        fetch(connected)
    assert "invalid_grant" in caught.value.message
    assert fake.calls == []


@responses.activate
def test_no_access_to_the_customer_is_revoked_credentials(connected, stream):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    failure = GoogleAdsFailure(
        errors=[
            GoogleAdsError(
                error_code={
                    "authorization_error": authorization_error.AuthorizationErrorEnum.AuthorizationError.USER_PERMISSION_DENIED
                },
                message="User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header.",
            )
        ]
    )
    call = FailedCall(grpc.StatusCode.PERMISSION_DENIED, "The caller does not have permission", failure)
    stream(GoogleAdsException(call, call, failure, "kP3j1bq8Zx1"))
    with pytest.raises(ConnectorCredentialsRevoked) as caught:
        fetch(connected)
    assert "permission to access customer" in caught.value.message and not caught.value.retryable


def test_without_a_developer_token_ads_is_not_configured(connected, settings, stream):
    settings.GOOGLE_ADS_DEVELOPER_TOKEN = ""
    fake = stream(BATCHES)
    with pytest.raises(ConnectorNotConfigured):
        fetch(connected)
    assert fake.calls == []
