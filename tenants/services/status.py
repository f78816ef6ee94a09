"""The tenant status machine: which moves are allowed, applied under a row lock, each one recorded."""

from __future__ import annotations

from django.db import transaction

from inkwell.errors import Conflict
from tenants.models import Tenant, TenantStatusEvent, User

S = Tenant.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    # Spares and schemas being built are moved only by tenants.services.provisioning.
    S.PROVISIONING: set(),
    S.ACTIVE: {S.SUSPENDED, S.CANCELED},
    S.SUSPENDED: {S.ACTIVE, S.CANCELED},
    S.CANCELED: set(),
    S.SPARE: set(),
}


@transaction.atomic
def tenant_status_set(*, tenant: Tenant, status: str, actor: User | None = None, reason: str = "") -> Tenant:
    """Move `tenant` to `status`. Raises Conflict for a move the table above does not allow."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if status not in ALLOWED_TRANSITIONS.get(locked.status, set()):
        raise Conflict(
            f"{locked} is {locked.get_status_display().lower()}; it cannot become {S(status).label.lower()}."
        )
    TenantStatusEvent.objects.create(
        tenant=locked, from_status=locked.status, to_status=status, actor=actor, reason=reason
    )
    locked.status = status
    locked.save(update_fields=["status"])
    tenant.status = status
    return locked


def tenant_suspend(*, tenant: Tenant, actor: User | None = None, reason: str = "") -> Tenant:
    return tenant_status_set(tenant=tenant, status=S.SUSPENDED, actor=actor, reason=reason)


def tenant_reactivate(*, tenant: Tenant, actor: User | None = None, reason: str = "") -> Tenant:
    return tenant_status_set(tenant=tenant, status=S.ACTIVE, actor=actor, reason=reason)
