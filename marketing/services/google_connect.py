"""Connecting a tenant to Google: the owner's OAuth web flow, the connector settings, disconnecting,
and the "needs reconnecting" state that ingestion sets when Google refuses the credentials.

Where the OAuth callback lands. Google only redirects to URIs registered on the OAuth client, and a
tenant's host is only known once the tenant exists, so every tenant cannot have its own
registered redirect URI (and registering one per tenant by hand doesn't scale). So there is ONE
redirect URI, on the public host (GOOGLE_OAUTH_REDIRECT_URI, default
`<INKWELL_PUBLIC_URL>/oauth/google/callback/`), and `state` is a value signed with the secret
key naming the tenant (by schema name) plus a random nonce, valid for ten minutes. The public
relay only checks the signature and forwards the query string to that tenant's own host; it
stores nothing and can only send to a tenant's host computed from the signed name, so it is
no open redirect. The tenant's callback then does the real checks: the owner's session on that
host must hold exactly this `state` (sessions are host-only cookies, so a state minted on
tenant A is in A's session only), and the signed tenant must be the host's tenant. Only then
is the code exchanged, with the PKCE verifier kept in the same session. A state from tenant A
replayed on tenant B fails both checks; either alone refuses it.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from inkwell.errors import DomainError, ServiceUnavailable
from marketing.connectors.google import (
    GOOGLE_CONNECTORS,
    REQUIRED_SETTINGS,
    SCOPES,
    SECRETS_KEY,
    STATUS_NEEDS_RECONNECTING,
    TOKEN_URI,
)
from tenants.models import Tenant, TenantConfig, User
from tenants.selectors import tenant_url
from tenants.services.audit import audit_record
from tenants.services.config import tenant_connector_secrets_set

logger = logging.getLogger(__name__)

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
REVOKE_URI = "https://oauth2.googleapis.com/revoke"
STATE_SALT = "marketing.google_connect.state"
STATE_MAX_AGE = 600  # seconds between "Connect Google" and Google sending the owner back
ALL_SCOPES = [SCOPES[name] for name in GOOGLE_CONNECTORS]
# The settings an owner edits, per connector (REQUIRED_SETTINGS plus the optional ones).
SETTING_KEYS = {"gsc": ("site_url",), "ga4": ("property_id",), "ads": ("customer_id", "login_customer_id")}


class GoogleConnectErrorCode:
    NOT_CONFIGURED = "google_not_configured"
    STATE_INVALID = "google_state_invalid"
    DENIED = "google_access_denied"
    EXCHANGE_FAILED = "google_exchange_failed"
    NO_REFRESH_TOKEN = "google_no_refresh_token"


def google_oauth_configured() -> bool:
    return bool(settings.GOOGLE_OAUTH_CLIENT_ID and settings.GOOGLE_OAUTH_CLIENT_SECRET)


def _flow(**kwargs) -> Flow:
    client_config = {
        "web": {
            "client_id": settings.GOOGLE_OAUTH_CLIENT_ID,
            "client_secret": settings.GOOGLE_OAUTH_CLIENT_SECRET,
            "auth_uri": AUTH_URI,
            "token_uri": TOKEN_URI,
            "redirect_uris": [settings.GOOGLE_OAUTH_REDIRECT_URI],
        }
    }
    return Flow.from_client_config(
        client_config, scopes=ALL_SCOPES, redirect_uri=settings.GOOGLE_OAUTH_REDIRECT_URI, **kwargs
    )


@dataclass(frozen=True)
class AuthorizationStart:
    url: str  # where to send the owner's browser
    state: str  # keep in the owner's session; the callback must bring it back
    code_verifier: str  # PKCE; keep in the session too, never in the URL


def google_connect_start(*, tenant: Tenant) -> AuthorizationStart:
    """The Google consent URL for `tenant`, asking for offline access (a refresh token) to all three
    read scopes. `prompt=consent` makes Google issue a refresh token even if this Google account
    connected before."""
    if not google_oauth_configured():
        raise DomainError(
            "Google sign-in is not set up on this Inkwell deployment.",
            code=GoogleConnectErrorCode.NOT_CONFIGURED,
        )
    state = signing.dumps({"tenant": tenant.schema_name, "nonce": secrets.token_urlsafe(16)}, salt=STATE_SALT)
    flow = _flow()
    url, _ = flow.authorization_url(
        state=state, access_type="offline", include_granted_scopes="true", prompt="consent"
    )
    return AuthorizationStart(url=url, state=state, code_verifier=flow.code_verifier)


def google_state_tenant(*, state: str) -> Tenant:
    """The active tenant a signed state names (DomainError if forged, expired or unknown)."""
    try:
        payload = signing.loads(state, salt=STATE_SALT, max_age=STATE_MAX_AGE)
        return Tenant.objects.get(schema_name=payload["tenant"], status=Tenant.Status.ACTIVE)
    except (signing.BadSignature, KeyError, TypeError, Tenant.DoesNotExist) as exc:
        raise DomainError(
            "This Google sign-in is not valid (expired or not started here). Start again from Settings.",
            code=GoogleConnectErrorCode.STATE_INVALID,
        ) from exc


def google_relay_url(*, state: str, query: dict) -> str:
    """Where the public callback forwards Google's answer: the same query on the named tenant's host."""
    tenant = google_state_tenant(state=state)
    return (
        tenant_url(tenant, reverse("google_callback", urlconf="inkwell.urls_tenant")) + "?" + urlencode(query)
    )


def google_connect_complete(
    *,
    tenant: Tenant,
    state: str,
    expected_state: str | None,
    code_verifier: str | None,
    query: dict,
    actor: User,
) -> list[str]:
    """Finish the flow on the tenant's host: check `state` against the one kept in the owner's
    session and against this tenant, exchange the code for tokens, store the refresh token
    (encrypted) and clear any "needs reconnecting". Returns the connectors whose scope was granted.
    """
    if not expected_state or not secrets.compare_digest(str(state), str(expected_state)):
        raise DomainError(
            "This Google sign-in was not started from this browser. Start again from Settings.",
            code=GoogleConnectErrorCode.STATE_INVALID,
        )
    if google_state_tenant(state=state).pk != tenant.pk:
        raise DomainError(
            "This Google sign-in was started for another business. Start again from Settings.",
            code=GoogleConnectErrorCode.STATE_INVALID,
        )
    if query.get("error"):
        raise DomainError(
            f"Google did not give access ({query['error'][:60]}). Nothing was changed.",
            code=GoogleConnectErrorCode.DENIED,
        )
    if not query.get("code") or not google_oauth_configured():
        raise DomainError("Google sent no authorisation code.", code=GoogleConnectErrorCode.EXCHANGE_FAILED)
    token = _exchange(code=query["code"], state=state, code_verifier=code_verifier)
    if not token.get("refresh_token"):
        raise DomainError(
            "Google gave no lasting access (no refresh token). Remove Inkwell from your Google account's "
            "third-party access and connect again.",
            code=GoogleConnectErrorCode.NO_REFRESH_TOKEN,
        )
    scope = token.get("scope") or ""
    granted = sorted(scope.split() if isinstance(scope, str) else scope)
    with transaction.atomic():
        tenant_connector_secrets_set(
            config=tenant.config,
            connector=SECRETS_KEY,
            secrets={
                "type": "oauth",
                "refresh_token": token["refresh_token"],
                "scopes": granted,
                "connected_at": datetime.now(UTC).isoformat(),
                "connected_by": actor.email,
            },
            actor=actor,
        )
        connectors = [name for name in GOOGLE_CONNECTORS if SCOPES[name] in granted]
        _set_status(tenant=tenant, names=GOOGLE_CONNECTORS, status=None, reason="", actor=actor)
    return connectors


def _exchange(*, code: str, state: str, code_verifier: str | None) -> dict:
    flow = _flow(state=state, code_verifier=code_verifier, autogenerate_code_verifier=False)
    try:
        return dict(flow.fetch_token(code=code, timeout=15))
    except Warning as changed:
        # oauthlib raises (not warns) when the owner granted fewer scopes than asked for; the token
        # is still good for what was granted, and the page says which connectors that covers.
        return dict(getattr(changed, "token", {}) or {})
    except OAuth2Error as exc:
        raise DomainError(
            f"Google refused the sign-in ({exc.error}). Start again from Settings.",
            code=GoogleConnectErrorCode.EXCHANGE_FAILED,
        ) from exc
    except requests.RequestException as exc:
        raise ServiceUnavailable("Google could not be reached; try again in a minute.") from exc


def google_disconnect(*, tenant: Tenant, actor: User) -> None:
    """Forget the tenant's Google credentials; an OAuth grant is also revoked at Google (best effort:
    the stored token is removed even if Google can't be reached)."""
    secret = (tenant.config.connector_secrets or {}).get(SECRETS_KEY) or {}
    if secret.get("type") == "oauth" and secret.get("refresh_token"):
        try:
            requests.post(
                REVOKE_URI,
                data={"token": secret["refresh_token"]},
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=10,
            )
        except requests.RequestException:
            logger.warning("Could not revoke the Google grant of %s at Google", tenant.schema_name)
    with transaction.atomic():
        tenant_connector_secrets_set(config=tenant.config, connector=SECRETS_KEY, secrets={}, actor=actor)
        _set_status(tenant=tenant, names=GOOGLE_CONNECTORS, status=None, reason="", actor=actor)


SITE_URL = re.compile(r"^(sc-domain:[a-z0-9.-]+\.[a-z]{2,}|https?://[^\s/]+/(\S*/)?)$", re.IGNORECASE)


@transaction.atomic
def google_settings_update(*, tenant: Tenant, data: dict, actor: User) -> dict:
    """Set the connectors' non-secret settings (site URL, property id, customer ids), validated at
    the edge by GoogleSettingsForm. An empty value removes the setting; status keys are kept."""
    config = TenantConfig.objects.select_for_update().get(pk=tenant.pk)
    connectors = dict(config.connectors or {})
    changed = []
    for name, keys in SETTING_KEYS.items():
        current = dict(connectors.get(name) or {})
        for key in keys:
            value = (data.get(f"{name}_{key}") or "").strip()
            if value != (current.get(key) or ""):
                changed.append(f"{name}.{key}")
            if value:
                current[key] = value
            else:
                current.pop(key, None)
        if current:
            connectors[name] = current
        else:
            connectors.pop(name, None)
    config.connectors = connectors
    config.save(update_fields=["connectors", "updated"])
    tenant.config.connectors = connectors
    if changed:
        audit_record(actor=actor, action="config.connectors_updated", tenant=tenant, data={"fields": changed})
    return connectors


def connector_mark_revoked(*, tenant: Tenant, connector: str, reason: str) -> None:
    """Ingestion calls this on ConnectorCredentialsRevoked: the connector shows "needs reconnecting"
    to the owner and ingestion skips it (see connector_needs_reconnecting) until Google is
    connected again."""
    with transaction.atomic():
        _set_status(
            tenant=tenant, names=(connector,), status=STATUS_NEEDS_RECONNECTING, reason=reason, actor=None
        )


def connector_needs_reconnecting(*, tenant: Tenant, connector: str) -> bool:
    return ((tenant.config.connectors or {}).get(connector) or {}).get("status") == STATUS_NEEDS_RECONNECTING


def _set_status(*, tenant: Tenant, names, status: str | None, reason: str, actor) -> None:
    config = TenantConfig.objects.select_for_update().get(pk=tenant.pk)
    connectors = dict(config.connectors or {})
    touched = []
    for name in names:
        current = dict(connectors.get(name) or {})
        if status is None:
            if "status" not in current:
                continue
            for key in ("status", "status_reason", "status_at"):
                current.pop(key, None)
        else:
            current.update(status=status, status_reason=reason[:500], status_at=datetime.now(UTC).isoformat())
        touched.append(name)
        if current:
            connectors[name] = current
        else:
            connectors.pop(name, None)
    if not touched:
        return
    config.connectors = connectors
    config.save(update_fields=["connectors", "updated"])
    tenant.config.connectors = connectors
    audit_record(
        actor=actor,
        action="config.connector_status",
        tenant=tenant,
        data={"connectors": touched, "status": status or "ok"},
    )


@dataclass(frozen=True)
class ConnectorState:
    name: str
    label: str
    settings: dict
    configured: bool  # every required setting is there
    needs_reconnecting: bool
    status_reason: str
    scope_granted: bool | None  # None: not an OAuth connection (or not connected)


LABELS = {"gsc": "Search Console", "ga4": "Google Analytics 4", "ads": "Google Ads"}


@dataclass(frozen=True)
class GoogleConnection:
    connected: bool
    kind: str  # "oauth" | "service_account" | ""
    connected_by: str
    connectors: list[ConnectorState]


def google_connection(*, tenant: Tenant) -> GoogleConnection:
    """What the settings page shows: connected or not, how, and each connector's settings and status.
    Never any secret value."""
    secret = (tenant.config.connector_secrets or {}).get(SECRETS_KEY) or {}
    kind = secret.get("type", "") if secret else ""
    granted = set(secret.get("scopes") or []) if kind == "oauth" else None
    states = []
    for name in GOOGLE_CONNECTORS:
        stored = (tenant.config.connectors or {}).get(name) or {}
        states.append(
            ConnectorState(
                name=name,
                label=LABELS[name],
                settings={key: stored.get(key, "") for key in SETTING_KEYS[name]},
                configured=all(stored.get(key) for key in REQUIRED_SETTINGS[name]),
                needs_reconnecting=stored.get("status") == STATUS_NEEDS_RECONNECTING,
                status_reason=stored.get("status_reason", ""),
                scope_granted=(SCOPES[name] in granted) if granted is not None and granted else None,
            )
        )
    return GoogleConnection(
        connected=bool(secret), kind=kind, connected_by=secret.get("connected_by", ""), connectors=states
    )


def google_service_account_set(*, tenant: Tenant, connector: str, info: dict, actor: User) -> None:
    """Staff: use a service account's key (validated by ServiceAccountKeyForm) for all Google
    connectors (`connector="google"`) or one of them, and clear their "needs reconnecting"."""
    names = GOOGLE_CONNECTORS if connector == SECRETS_KEY else (connector,)
    with transaction.atomic():
        tenant_connector_secrets_set(
            config=tenant.config,
            connector=connector,
            secrets={"type": "service_account", "info": info, "connected_by": actor.email},
            actor=actor,
        )
        _set_status(tenant=tenant, names=names, status=None, reason="", actor=actor)
