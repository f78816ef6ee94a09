"""What the three Google connectors share: where a tenant's settings and credentials are, how
credentials are built, and how Google's failures become ConnectorErrors.

Where things live on TenantConfig (tenants/models.py):

- `connectors["gsc"] = {"site_url": "sc-domain:example.com"}` (or "https://www.example.com/"),
  `connectors["ga4"] = {"property_id": "123456789"}`,
  `connectors["ads"] = {"customer_id": "1234567890", "login_customer_id": "9876543210"}` (the
  manager account, optional). Non-secret; the owner sets them in dashboard settings.
- `connectors[name]["status"]`: "needs_reconnecting" after Google refused the credentials, with
  `status_reason` and `status_at` beside it; absent (or "ok") otherwise. Ingestion sets it through
  marketing.services.google_connect.connector_mark_revoked and skips such connectors; connecting
  Google again clears it.
- `connector_secrets["google"]` (encrypted): either `{"type": "oauth", "refresh_token": ...,
  "scopes": [...]}` from the owner's "Connect Google", used with this deployment's OAuth client
  (GOOGLE_OAUTH_CLIENT_ID/SECRET), or `{"type": "service_account", "info": {<key JSON>}}` pasted
  by staff. `connector_secrets["gsc"|"ga4"|"ads"]`, same shape, overrides it for one connector.

Credentials are always built here and passed explicitly: nothing looks up application-default
credentials or files.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import google.auth.exceptions
from django.conf import settings
from google.oauth2 import credentials as oauth_credentials
from google.oauth2 import service_account

from marketing.connectors.base import ConnectorCredentialsRevoked, ConnectorError, ConnectorTemporaryError

TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPES = {
    "gsc": "https://www.googleapis.com/auth/webmasters.readonly",
    "ga4": "https://www.googleapis.com/auth/analytics.readonly",
    "ads": "https://www.googleapis.com/auth/adwords",
}
GOOGLE_CONNECTORS = tuple(SCOPES)
SECRETS_KEY = "google"
STATUS_NEEDS_RECONNECTING = "needs_reconnecting"
# What each connector needs in connectors[name] before it can fetch.
REQUIRED_SETTINGS = {"gsc": ("site_url",), "ga4": ("property_id",), "ads": ("customer_id",)}


class ConnectorNotConfigured(ConnectorError):
    """The tenant has not set this connector up (no credentials, no site URL / property / customer
    id). Not retryable, and not "revoked" either: nothing was refused, something is missing."""


def connector_settings(tenant, name: str) -> dict:
    """The connector's non-secret settings; ConnectorNotConfigured when a required one is missing."""
    stored = dict((tenant.config.connectors or {}).get(name) or {})
    missing = [key for key in REQUIRED_SETTINGS[name] if not str(stored.get(key) or "").strip()]
    if missing:
        raise ConnectorNotConfigured(
            f"{name}: {', '.join(missing)} not set in the tenant's connector settings."
        )
    return stored


def connector_secret(tenant, name: str) -> dict:
    secrets = tenant.config.connector_secrets or {}
    secret = secrets.get(name) or secrets.get(SECRETS_KEY)
    if not secret:
        raise ConnectorNotConfigured(
            f"{name}: no Google credentials; connect Google in the dashboard settings."
        )
    return secret


def google_credentials(tenant, name: str):
    """google-auth credentials for connector `name`, scoped to what it reads."""
    secret = connector_secret(tenant, name)
    scopes = [SCOPES[name]]
    if secret.get("type") == "service_account":
        try:
            return service_account.Credentials.from_service_account_info(secret["info"], scopes=scopes)
        except (KeyError, ValueError) as exc:
            raise ConnectorCredentialsRevoked(
                f"{name}: the stored service-account key is unusable ({exc})."
            ) from exc
    if not settings.GOOGLE_OAUTH_CLIENT_ID:
        raise ConnectorNotConfigured(f"{name}: GOOGLE_OAUTH_CLIENT_ID is not set on this deployment.")
    return oauth_credentials.Credentials(
        token=None,
        refresh_token=secret["refresh_token"],
        client_id=settings.GOOGLE_OAUTH_CLIENT_ID,
        client_secret=settings.GOOGLE_OAUTH_CLIENT_SECRET,
        token_uri=TOKEN_URI,
        scopes=scopes,
    )


def refresh_error(name: str, exc: google.auth.exceptions.RefreshError) -> ConnectorError:
    """A failed token refresh: `invalid_grant` (revoked or expired refresh token, deleted service
    account key) and `unauthorized_client`/`invalid_client` can't get better by waiting; anything
    else (the token endpoint's own 5xx, a network error) is temporary."""
    text = str(exc)
    if exc.retryable or not re.search(
        r"invalid_grant|invalid_client|unauthorized_client|invalid_scope", text
    ):
        return ConnectorTemporaryError(f"{name}: could not refresh the access token: {text}")
    return ConnectorCredentialsRevoked(f"{name}: Google refused the credentials: {text}")


def retry_after_seconds(value) -> float | None:
    """A Retry-After header (seconds or an HTTP date) or a protobuf Duration string ("30s") in seconds."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)s?", text)
    if match:
        return float(match.group(1))
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retry_delay_from_details(details) -> float | None:
    """google.rpc.RetryInfo's retryDelay, when an error's JSON details carry one."""
    for detail in details or []:
        if isinstance(detail, dict) and detail.get("@type", "").endswith("google.rpc.RetryInfo"):
            return retry_after_seconds(detail.get("retryDelay"))
    return None
