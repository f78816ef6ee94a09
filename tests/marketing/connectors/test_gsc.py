"""Search Console connector against recorded Search Analytics answers (httplib2 transport)."""

import json
from datetime import date
from urllib.parse import unquote

import pytest
from googleapiclient.http import HttpMockSequence

from marketing.connectors.base import ConnectorCredentialsRevoked, ConnectorTemporaryError, SearchRow
from marketing.connectors.google import ConnectorNotConfigured
from marketing.connectors.gsc import SearchConsoleConnector
from tests.marketing.connectors.conftest import TOKEN_REVOKED, token_ok_body

OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}
PAGE = "https://www.alpha-movers.example/car-shipping/toronto-vancouver/"


def api_row(day, query, page, device, country, clicks, impressions, position):
    return {
        "keys": [day, query, page, device, country],
        "clicks": clicks,
        "impressions": impressions,
        "ctr": clicks / impressions if impressions else 0,
        "position": position,
    }


PAGE_1 = {
    "rows": [
        api_row(
            "2026-11-18",
            "car shipping toronto to vancouver",
            PAGE,
            "MOBILE",
            "can",
            3.0,
            41.0,
            4.219512195121951,
        ),
        api_row(
            "2026-11-18",
            "ship car overseas from canada",
            PAGE,
            "DESKTOP",
            "usa",
            0.0,
            7.0,
            11.571428571428571,
        ),
    ],
    "responseAggregationType": "byPage",
    "metadata": {"firstIncompleteDate": "2026-11-20"},
}
PAGE_2 = {
    "rows": [
        api_row("2026-11-20", "car shipping toronto to vancouver", PAGE, "TABLET", "can", 1.0, 5.0, 2.6),
    ],
    "responseAggregationType": "byPage",
    "metadata": {"firstIncompleteDate": "2026-11-20"},
}


def fetch(tenant, http, **kwargs):
    connector = SearchConsoleConnector(http=http, **kwargs)
    return list(connector.fetch(tenant, date(2026, 11, 18), date(2026, 11, 20)))


def test_pages_through_every_row_and_parses_each_one(connected):
    http = HttpMockSequence([(OK, token_ok_body()), (OK, json.dumps(PAGE_1)), (OK, json.dumps(PAGE_2))])
    rows = fetch(connected, http, row_limit=2)

    assert rows == [
        SearchRow(
            date(2026, 11, 18),
            "car shipping toronto to vancouver",
            PAGE,
            "MOBILE",
            "can",
            3,
            41,
            4.219512195121951,
            True,
        ),
        SearchRow(
            date(2026, 11, 18),
            "ship car overseas from canada",
            PAGE,
            "DESKTOP",
            "usa",
            0,
            7,
            11.571428571428571,
            True,
        ),
        # on or after firstIncompleteDate: provisional
        SearchRow(
            date(2026, 11, 20), "car shipping toronto to vancouver", PAGE, "TABLET", "can", 1, 5, 2.6, False
        ),
    ]
    token_call, first, second = http.request_sequence
    assert token_call[0] == "https://oauth2.googleapis.com/token"
    assert b"refresh_token=1%2F%2F0g-test-refresh-token" in token_call[2]
    assert "sc-domain:alpha-movers.example" in unquote(first[0]) and first[0].endswith(
        "/searchAnalytics/query?alt=json"
    )
    assert first[3]["authorization"] == "Bearer ya29.a0AfB_byC-test-access-token"
    bodies = [json.loads(first[2]), json.loads(second[2])]
    assert [b["startRow"] for b in bodies] == [0, 2]
    assert bodies[0] == {
        "startDate": "2026-11-18",
        "endDate": "2026-11-20",
        "dimensions": ["date", "query", "page", "device", "country"],
        "type": "web",
        "dataState": "all",
        "rowLimit": 2,
        "startRow": 0,
    }


def test_a_full_page_is_followed_by_an_empty_one_and_no_metadata_means_all_final(connected):
    full = {"rows": PAGE_1["rows"], "responseAggregationType": "byPage"}
    http = HttpMockSequence([(OK, token_ok_body()), (OK, json.dumps(full)), (OK, json.dumps({}))])
    rows = fetch(connected, http, row_limit=2)
    assert [row.final for row in rows] == [True, True]
    assert len(http.request_sequence) == 3


def test_the_real_row_limit_is_25000(connected):
    http = HttpMockSequence([(OK, token_ok_body()), (OK, json.dumps(PAGE_2))])
    fetch(connected, http)
    assert json.loads(http.request_sequence[1][2])["rowLimit"] == 25_000


def test_429_raises_a_temporary_error_and_the_retry_succeeds(connected):
    quota = {
        "error": {
            "code": 429,
            "message": "Search Analytics QPS quota exceeded for this site.",
            "errors": [
                {
                    "message": "Search Analytics QPS quota exceeded for this site.",
                    "domain": "usageLimits",
                    "reason": "rateLimitExceeded",
                }
            ],
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    http = HttpMockSequence(
        [
            (OK, token_ok_body()),
            ({"status": "429", "retry-after": "30"}, json.dumps(quota)),
            (OK, token_ok_body()),
            (OK, json.dumps(PAGE_2)),
        ]
    )
    connector = SearchConsoleConnector(http=http)
    with pytest.raises(ConnectorTemporaryError) as caught:
        list(connector.fetch(connected, date(2026, 11, 20), date(2026, 11, 20)))
    assert caught.value.retryable and caught.value.retry_after == 30.0
    # what ingestion's retry does: the same fetch again
    rows = list(connector.fetch(connected, date(2026, 11, 20), date(2026, 11, 20)))
    assert [(row.query, row.clicks) for row in rows] == [("car shipping toronto to vancouver", 1)]


def test_5xx_is_temporary_and_a_quota_403_too(connected):
    backend = {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }
    quota_403 = {
        "error": {
            "code": 403,
            "message": "Quota exceeded.",
            "errors": [{"message": "Quota exceeded.", "domain": "usageLimits", "reason": "quotaExceeded"}],
        }
    }
    for status, body in (("503", backend), ("403", quota_403)):
        http = HttpMockSequence([(OK, token_ok_body()), ({"status": status}, json.dumps(body))])
        with pytest.raises(ConnectorTemporaryError) as caught:
            fetch(connected, http)
        assert caught.value.retry_after is None


def test_revoked_refresh_token_marks_credentials_revoked(connected):
    http = HttpMockSequence([({"status": "400"}, json.dumps(TOKEN_REVOKED))])
    with pytest.raises(ConnectorCredentialsRevoked) as caught:
        fetch(connected, http)
    assert "invalid_grant" in caught.value.message
    assert not caught.value.retryable
    assert len(http.request_sequence) == 1  # nothing asked of Search Console


def test_no_permission_on_the_site_is_revoked_credentials(connected):
    denied = {
        "error": {
            "code": 403,
            "message": "User does not have sufficient permission for site 'sc-domain:alpha-movers.example'.",
            "errors": [
                {
                    "message": "User does not have sufficient permission.",
                    "domain": "global",
                    "reason": "forbidden",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    http = HttpMockSequence([(OK, token_ok_body()), ({"status": "403"}, json.dumps(denied))])
    with pytest.raises(ConnectorCredentialsRevoked):
        fetch(connected, http)


def test_a_tenant_without_a_site_url_is_not_configured(connected):
    connected.config.connectors["gsc"] = {"site_url": " "}
    with pytest.raises(ConnectorNotConfigured):
        fetch(connected, HttpMockSequence([]))


def test_a_time_out_is_temporary(connected):
    class TimesOut(HttpMockSequence):
        def request(self, uri, *args, **kwargs):
            if "searchAnalytics" in uri:
                raise TimeoutError("timed out")
            return super().request(uri, *args, **kwargs)

    with pytest.raises(ConnectorTemporaryError, match="could not reach"):
        fetch(connected, TimesOut([(OK, token_ok_body())]))
