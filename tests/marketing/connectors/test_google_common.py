"""The connectors' shared rules: the registry, token-refresh failures, retry delays."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import google.auth.exceptions
import pytest
import time_machine

from marketing.connectors import connector_for
from marketing.connectors.base import ConnectorCredentialsRevoked, ConnectorTemporaryError
from marketing.connectors.google import refresh_error, retry_after_seconds, retry_delay_from_details


def test_connector_for_gives_each_google_connector_by_name():
    assert {name: type(connector_for(name)).__name__ for name in ("gsc", "ga4", "ads")} == {
        "gsc": "SearchConsoleConnector",
        "ga4": "AnalyticsConnector",
        "ads": "AdsConnector",
    }
    assert all(connector_for(name).name == name for name in ("gsc", "ga4", "ads"))
    with pytest.raises(KeyError):
        connector_for("facebook")


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (
            google.auth.exceptions.RefreshError("invalid_grant: Token has been expired or revoked.", {}),
            ConnectorCredentialsRevoked,
        ),
        (
            google.auth.exceptions.RefreshError("invalid_grant: Invalid JWT Signature.", {}),
            ConnectorCredentialsRevoked,
        ),
        (
            google.auth.exceptions.RefreshError("unauthorized_client: Unauthorized", {}),
            ConnectorCredentialsRevoked,
        ),
        # the token endpoint's own trouble: try again later
        (
            google.auth.exceptions.RefreshError("internal_failure: try again", {}, retryable=True),
            ConnectorTemporaryError,
        ),
        (
            google.auth.exceptions.RefreshError("Unexpected response 502", "Bad Gateway"),
            ConnectorTemporaryError,
        ),
    ],
)
def test_refresh_failures_are_revoked_only_when_google_refused_the_grant(error, kind):
    assert type(refresh_error("gsc", error)) is kind


def test_retry_after_in_seconds_from_a_header_or_a_duration():
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds("1.5s") == 1.5
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        assert retry_after_seconds(format_datetime(now + timedelta(minutes=2), usegmt=True)) == 120.0
        assert retry_after_seconds(format_datetime(now - timedelta(minutes=2), usegmt=True)) == 0.0
    details = [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo"},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "42s"},
    ]
    assert retry_delay_from_details(details) == 42.0
    assert retry_delay_from_details(details[:1]) is None
