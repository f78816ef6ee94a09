"""Agent tokens: an AI agent's identity and key for one tenant's MCP endpoint.

Created by an owner (shown once), authenticated in constant time for the host's tenant only,
revoked at once. The token's `name` is the agent's identity on everything it does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from inkwell.errors import Conflict, DomainError
from tenants.models import AgentToken, Tenant, User
from tenants.services.apikeys import last_used_touch, secret_digest, secret_lookup
from tenants.services.audit import audit_record

TOKEN_PREFIX = "iwa_"  # an Inkwell agent token, told apart from API keys (iw_) in logs and scanners
# Tool calls a minute an owner may allow one agent: beyond ten a second an agent is a runaway loop
# (or a load test), and the limit is what keeps one agent from starving the others.
RATE_PER_MINUTE_MAX = 600

# What each scope lets an agent do; MCP tools name the scope they need.
SCOPES: dict[str, str] = {
    "read": "Read the dashboard, SEO data, leads, subscription and events",
    "write_content": "Draft landing pages (publishing them waits for the owner's approval)",
    "publish": "Publish landing pages without asking",
    "billing": "Create upgrade links (checkout)",
    "notify": "Send the owner a Telegram message",
    "memory": "Search and add to the business memory",
    "tasks": "Read the task board, claim tasks and report on them",
}


@dataclass(frozen=True)
class AgentIdentity:
    """Who an agent is, as recorded on what it does: its token's id and name."""

    token_id: int | None
    name: str

    @classmethod
    def of(cls, token: AgentToken) -> AgentIdentity:
        return cls(token_id=token.pk, name=token.name)

    @property
    def label(self) -> str:
        return f"agent {self.name}"


@dataclass(frozen=True)
class NewAgentToken:
    token: AgentToken
    secret: str  # the only time the token itself exists outside its holder


def scopes_clean(scopes) -> list[str]:
    """The scopes, known and in a stable order; an unknown one is refused by name."""
    wanted = {s.strip() for s in scopes if s and s.strip()}
    unknown = sorted(wanted - SCOPES.keys())
    if unknown:
        raise DomainError(
            f"Unknown scope: {', '.join(unknown)}. Choose from {', '.join(SCOPES)}.", code="unknown_scope"
        )
    if not wanted:
        raise DomainError("Give the agent at least one scope.", code="no_scopes")
    return [s for s in SCOPES if s in wanted]


def agent_token_create(
    *,
    tenant: Tenant,
    name: str,
    scopes,
    actor: User | None,
    expires_at: datetime | None = None,
    rate_per_minute: int | None = None,
) -> NewAgentToken:
    """Make a token (256 bits) for the agent `name` of `tenant`. The caller shows `secret` once."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the agent a name.", code="name_required")
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError("The expiry must be in the future.", code="expiry_past")
    if rate_per_minute is None:
        rate_per_minute = settings.AGENT_TOKEN_RATE_PER_MINUTE
    if not 1 <= rate_per_minute <= RATE_PER_MINUTE_MAX:
        raise DomainError(
            f"The rate must be between 1 and {RATE_PER_MINUTE_MAX} calls a minute.", code="rate_out_of_range"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AgentToken(
        tenant=tenant,
        name=name,
        scopes=scopes_clean(scopes),
        digest=secret_digest(secret),
        prefix=secret[:10],
        created_by=actor,
        expires_at=expires_at,
        rate_per_minute=rate_per_minute,
    )
    token.full_clean(validate_constraints=False)
    from django_tenants.utils import tenant_context

    from chat.services.agents import agent_for_token

    try:
        with transaction.atomic():
            token.save()
            with tenant_context(tenant):
                agent_for_token(token=token)
            audit_record(
                actor=actor,
                action="agent_token.created",
                tenant=tenant,
                data={"token": token.pk, "name": name, "scopes": token.scopes},
            )
    except IntegrityError:
        raise Conflict(
            f"An agent named “{name}” already has a live token. Revoke it first.", code="agent_name_taken"
        ) from None
    return NewAgentToken(token=token, secret=secret)


@transaction.atomic
def agent_token_revoke(*, token: AgentToken, actor: User | None) -> AgentToken:
    """Stop `token` working at once; what the agent proposed and the owner hasn't decided is withdrawn
    (rejected) with it. Revoking twice changes nothing."""
    from django_tenants.utils import tenant_context

    from chat.services.agents import agent_token_revoked
    from chat.services.approvals import approvals_withdraw_for_token

    token = AgentToken.objects.select_for_update().select_related("tenant").get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        with tenant_context(token.tenant):
            approvals_withdraw_for_token(token_id=token.pk)
            agent_token_revoked(token_id=token.pk)
        audit_record(actor=actor, action="agent_token.revoked", tenant=token.tenant, data={"token": token.pk})
    return token


def agent_token_authenticate(*, tenant: Tenant, secret: str) -> AgentToken | None:
    """The live token of `tenant` matching `secret`, or None. Another tenant's, a revoked, an expired
    and a made-up token are all equally unknown."""
    token = secret_lookup(AgentToken.objects.filter(tenant=tenant), secret)
    now = timezone.now()
    if token is None or not token.is_active(now):
        return None
    last_used_touch(token, now)
    return token


def agent_tokens_of(*, tenant: Tenant):
    """The tenant's agent tokens, newest first (revoked ones too, marked as such)."""
    return AgentToken.objects.filter(tenant=tenant).order_by("-created", "-pk")
