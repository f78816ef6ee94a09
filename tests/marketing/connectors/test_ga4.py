"""GA4 connector against recorded Data API answers (REST transport, intercepted by `responses`)."""

import json
from datetime import date

import pytest
import responses

from marketing.connectors.base import ConnectorCredentialsRevoked, ConnectorTemporaryError, TrafficRow
from marketing.connectors.ga4 import AnalyticsConnector
from tests.marketing.connectors.conftest import TOKEN_OK, TOKEN_REVOKED, TOKEN_URL

REPORT_URL = "https://analyticsdata.googleapis.com/v1beta/properties/318472650:runReport"
DIMENSION_HEADERS = [{"name": "date"}, {"name": "sessionDefaultChannelGroup"}, {"name": "landingPage"}]
BASE_HEADERS = [
    {"name": "sessions", "type": "TYPE_INTEGER"},
    {"name": "totalUsers", "type": "TYPE_INTEGER"},
    {"name": "newUsers", "type": "TYPE_INTEGER"},
    {"name": "engagedSessions", "type": "TYPE_INTEGER"},
    {"name": "bounceRate", "type": "TYPE_FLOAT"},
    {"name": "averageSessionDuration", "type": "TYPE_SECONDS"},
]


def key_headers(*names):
    return [{"name": f"keyEvents:{name}", "type": "TYPE_FLOAT"} for name in names]


def api_row(day, channel, page, *values):
    return {
        "dimensionValues": [{"value": day}, {"value": channel}, {"value": page}],
        "metricValues": [{"value": str(value)} for value in values],
    }


def report(rows, row_count, metric_headers):
    return {
        "dimensionHeaders": DIMENSION_HEADERS,
        "metricHeaders": metric_headers,
        "rows": rows,
        "rowCount": row_count,
        "metadata": {"currencyCode": "CAD", "timeZone": "America/Toronto"},
        "kind": "analyticsData#runReport",
    }


HEADERS = BASE_HEADERS + key_headers("lead_form", "phone_click")
PAGE_1 = report(
    [
        api_row(
            "20261118", "Organic Search", "/car-shipping/", 52, 47, 31, 30, 0.4230769230769231, 143.27, 4, 1
        ),
        api_row("20261118", "Direct", "/", 11, 10, 2, 5, 0.5454545454545454, 61.5, 0, 0),
    ],
    3,
    HEADERS,
)
# keep_empty_rows: a day without visits still comes back, all zero
PAGE_2 = report([api_row("20261119", "Paid Search", "/moving/", 0, 0, 0, 0, 0, 0, 0, 0)], 3, HEADERS)


def fetch(tenant, **kwargs):
    return list(AnalyticsConnector(**kwargs).fetch(tenant, date(2026, 11, 18), date(2026, 11, 19)))


@responses.activate
def test_pages_with_limit_and_offset_and_parses_each_row(connected):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    responses.post(REPORT_URL, json=PAGE_1)
    responses.post(REPORT_URL, json=PAGE_2)

    rows = fetch(connected, page_size=2)

    assert rows == [
        TrafficRow(
            date(2026, 11, 18),
            "Organic Search",
            "/car-shipping/",
            52,
            47,
            31,
            30,
            0.4230769230769231,
            143.27,
            {"lead_form": 4, "phone_click": 1},
        ),
        TrafficRow(
            date(2026, 11, 18),
            "Direct",
            "/",
            11,
            10,
            2,
            5,
            0.5454545454545454,
            61.5,
            {"lead_form": 0, "phone_click": 0},
        ),
        TrafficRow(
            date(2026, 11, 19),
            "Paid Search",
            "/moving/",
            0,
            0,
            0,
            0,
            0.0,
            0.0,
            {"lead_form": 0, "phone_click": 0},
        ),
    ]
    token, first, second = responses.calls
    assert b"grant_type=refresh_token" in token.request.body
    assert first.request.headers["Authorization"] == "Bearer ya29.a0AfB_byC-test-access-token"
    bodies = [json.loads(first.request.body), json.loads(second.request.body)]
    # proto3 JSON: int64 as strings, a zero offset left out
    assert [b.get("offset", "0") for b in bodies] == ["0", "2"]
    assert bodies[0]["limit"] == "2" and bodies[0]["keepEmptyRows"] is True
    assert bodies[0]["dateRanges"] == [{"startDate": "2026-11-18", "endDate": "2026-11-19"}]
    assert [d["name"] for d in bodies[0]["dimensions"]] == [
        "date",
        "sessionDefaultChannelGroup",
        "landingPage",
    ]
    assert [m["name"] for m in bodies[0]["metrics"]] == [
        "sessions", "totalUsers", "newUsers", "engagedSessions", "bounceRate", "averageSessionDuration",
        "keyEvents:lead_form", "keyEvents:phone_click",
    ]  # fmt: skip


@responses.activate
def test_more_key_events_than_fit_one_report_come_from_a_second_one(connected):
    names = ["lead_form", "phone_click", "quote_start", "chat_open", "email_click"]
    connected.config.connectors["ga4"]["key_events"] = names
    responses.post(TOKEN_URL, json=TOKEN_OK)
    first_headers = BASE_HEADERS + key_headers(*names[:4])
    responses.post(
        REPORT_URL,
        json=report(
            [api_row("20261118", "Direct", "/", 3, 3, 1, 2, 0.3333, 40, 1, 0, 2, 0)], 1, first_headers
        ),
    )
    responses.post(
        REPORT_URL, json=report([api_row("20261118", "Direct", "/", 5)], 1, key_headers("email_click"))
    )

    (row,) = fetch(connected)

    assert row.key_events == {
        "lead_form": 1,
        "phone_click": 0,
        "quote_start": 2,
        "chat_open": 0,
        "email_click": 5,
    }
    assert row.sessions == 3
    metric_counts = [len(json.loads(call.request.body)["metrics"]) for call in responses.calls[1:]]
    assert metric_counts == [10, 1]  # the Data API's limit is 10 metrics per report


@responses.activate
def test_429_raises_a_temporary_error_and_the_retry_succeeds(connected):
    exhausted = {
        "error": {
            "code": 429,
            "message": "Exhausted property tokens per hour for a project per property. Wait for the hour to reset.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1800s"}],
        }
    }
    responses.post(TOKEN_URL, json=TOKEN_OK)
    responses.post(REPORT_URL, json=exhausted, status=429)
    responses.post(REPORT_URL, json=PAGE_2 | {"rowCount": 1})
    connector = AnalyticsConnector()

    with pytest.raises(ConnectorTemporaryError) as caught:
        list(connector.fetch(connected, date(2026, 11, 19), date(2026, 11, 19)))
    assert caught.value.retry_after == 1800.0
    rows = list(connector.fetch(connected, date(2026, 11, 19), date(2026, 11, 19)))
    assert [(row.day, row.channel, row.sessions) for row in rows] == [(date(2026, 11, 19), "Paid Search", 0)]


@responses.activate
def test_a_503_with_retry_after_is_temporary(connected):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    unavailable = {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }
    responses.post(REPORT_URL, json=unavailable, status=503, headers={"Retry-After": "120"})
    with pytest.raises(ConnectorTemporaryError) as caught:
        fetch(connected)
    assert caught.value.retry_after == 120.0


@responses.activate
def test_revoked_refresh_token_marks_credentials_revoked(connected):
    responses.post(TOKEN_URL, json=TOKEN_REVOKED, status=400)
    with pytest.raises(ConnectorCredentialsRevoked) as caught:
        fetch(connected)
    assert "invalid_grant" in caught.value.message
    assert len(responses.calls) == 1


@responses.activate
def test_no_access_to_the_property_is_revoked_credentials(connected):
    responses.post(TOKEN_URL, json=TOKEN_OK)
    denied = {
        "error": {
            "code": 403,
            "message": "User does not have sufficient permissions for this property.",
            "status": "PERMISSION_DENIED",
        }
    }
    responses.post(REPORT_URL, json=denied, status=403)
    with pytest.raises(ConnectorCredentialsRevoked):
        fetch(connected)


@responses.activate
def test_a_time_out_is_temporary(connected):
    from requests.exceptions import ReadTimeout

    responses.post(TOKEN_URL, json=TOKEN_OK)
    responses.post(REPORT_URL, body=ReadTimeout("Read timed out. (read timeout=60.0)"))
    with pytest.raises(ConnectorTemporaryError):
        fetch(connected)
