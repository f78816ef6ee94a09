"""Tenant API keys: created (shown once), authenticated (constant time, this tenant only), revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tenants.models import ApiKey, Tenant, User
from tenants.services.audit import audit_record

KEY_PREFIX = "iw_"  # tells a leaked Inkwell key apart in logs and secret scanners
# last_used_at is a hint for owners ("is this key still used?"), not an audit: at most one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # the only time the key itself exists outside its holder


def secret_digest(secret: str) -> str:
    """What is stored of an API key or agent token: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_lookup(queryset, secret: str):
    """The live row of `queryset` (one tenant's keys or tokens) whose digest is `secret`'s, or None."""
    if not secret or len(secret) > 100:
        return None
    digest = secret_digest(secret)
    found = queryset.filter(digest=digest, revoked_at__isnull=True).first()
    # The digest was found by an index lookup; comparing it again in constant time keeps the check
    # itself free of timing differences whatever the database does.
    if found is None or not hmac.compare_digest(found.digest, digest):
        return None
    return found


def last_used_touch(credential, now) -> None:
    """Stamp `last_used_at` (a hint for owners, not an audit): at most one write a minute."""
    if credential.last_used_at is None or now - credential.last_used_at >= LAST_USED_RESOLUTION:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now


@transaction.atomic
def apikey_create(*, tenant: Tenant, label: str, actor: User | None) -> NewApiKey:
    """Make a key (256 bits) for `tenant`. The caller shows `key` once; only its digest is stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey(
        tenant=tenant, label=label.strip(), digest=secret_digest(key), prefix=key[:10], created_by=actor
    )
    api_key.full_clean()
    api_key.save()
    audit_record(
        actor=actor, action="apikey.created", tenant=tenant, data={"key": api_key.pk, "label": label}
    )
    return NewApiKey(api_key=api_key, key=key)


@transaction.atomic
def apikey_revoke(*, api_key: ApiKey, actor: User | None) -> ApiKey:
    """Stop `api_key` working at once. Revoking twice changes nothing."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="apikey.revoked", tenant=api_key.tenant, data={"key": api_key.pk})
    return api_key


def apikey_authenticate(*, tenant: Tenant, key: str) -> ApiKey | None:
    """The active key of `tenant` matching `key`, or None. Another tenant's key is as unknown as a
    made-up one: the lookup is by digest within this tenant only."""
    api_key = secret_lookup(ApiKey.objects.filter(tenant=tenant), key)
    if api_key is not None:
        last_used_touch(api_key, timezone.now())
    return api_key


def apikeys_of(*, tenant: Tenant):
    """The tenant's keys, newest first (revoked ones too, marked as such)."""
    return ApiKey.objects.filter(tenant=tenant).order_by("-created", "-pk")
