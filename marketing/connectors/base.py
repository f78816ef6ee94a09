"""The one small interface every analytics connector implements, and the rows it yields.

A connector turns a provider's answer into plain rows; it never writes to the database. Ingestion
(marketing/services/ingestion.py) groups the rows by type and upserts them on their natural key, so
fetching the same window twice replaces numbers instead of adding them.

Connectors: `gsc` (Search Console), `ga4` (Google Analytics 4), `ads` (Google Ads) and `demo`
(generated, deterministic data of all three kinds, for the demo tenant and tenants without
credentials).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class SearchRow:
    """Search Console: one day × query × page × device × country.
    Natural key: (day, query, page, device, country)."""

    day: date
    query: str
    page: str  # the full URL Search Console reports
    device: str  # DESKTOP | MOBILE | TABLET
    country: str  # ISO 3166-1 alpha-3, lower case, as Search Console reports it ("can")
    clicks: int
    impressions: int
    position: float  # average position for this row; weight by impressions when aggregating
    final: bool  # False while Search Console still reports the day as provisional


@dataclass(frozen=True)
class TrafficRow:
    """GA4: one day × default channel group × landing page. Natural key: (day, channel, landing_page).
    Empty days are kept (all zero) so a day without visits exists as a zero, not as a gap."""

    day: date
    channel: str  # GA4's sessionDefaultChannelGroup, e.g. "Organic Search"
    landing_page: str  # path, e.g. "/moving/"
    sessions: int
    users: int
    new_users: int
    engaged_sessions: int
    bounce_rate: float  # 0..1, as GA4 reports it
    avg_session_duration: float  # seconds
    key_events: dict[str, int] = field(default_factory=dict)  # e.g. {"lead_form": 3, "phone_click": 1}


@dataclass(frozen=True)
class AdsRow:
    """Google Ads: one day × campaign. Natural key: (day, campaign_id)."""

    day: date
    campaign_id: str
    campaign_name: str
    impressions: int
    clicks: int
    cost: Decimal  # account currency, converted from cost_micros
    conversions: Decimal


Row = SearchRow | TrafficRow | AdsRow


class Connector(Protocol):
    name: str  # "gsc" | "ga4" | "ads" | "demo"

    def fetch(self, tenant, start: date, end: date) -> Iterator[Row]:
        """Rows for every day from `start` to `end`, both included. Raises ConnectorError."""


class ConnectorError(Exception):
    """A fetch that failed. `retryable` errors (429, 5xx, time-outs) are retried with backoff;
    the others fail the run at once."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class ConnectorTemporaryError(ConnectorError):
    """429, 5xx or a time-out: try again later."""

    retryable = True


class ConnectorCredentialsRevoked(ConnectorError):
    """The provider refused the credentials (revoked, expired, wrong property): the connector is
    marked "needs reconnecting" and not retried until the owner connects it again."""
