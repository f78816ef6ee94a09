"""The audit trail: one append-only AuditEvent per write, recorded by the service that makes it."""

from __future__ import annotations

from tenants.models import AuditEvent, Tenant, User

SYSTEM = "system"


def audit_record(
    *, actor: User | str | None, action: str, tenant: Tenant | None = None, data: dict | None = None
) -> AuditEvent:
    """Record that `actor` did `action` (e.g. "config.updated"). Call it inside the write's own
    transaction, so the event exists exactly when the write does.

    `actor` is the user who asked, a label for a non-person (an API key, an agent), or None for the
    platform itself (beat, a management command). `data` must never hold secret values.
    """
    if isinstance(actor, User):
        user, label = actor, actor.email
    else:
        user, label = None, actor or SYSTEM
    return AuditEvent.objects.create(
        tenant=tenant, actor=user, actor_label=label, action=action, data=data or {}
    )
