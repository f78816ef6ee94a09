"""The people of a business: owners invite members and owners, change roles and remove people.
A business always keeps at least one owner, even when two owners act at the same moment."""

from __future__ import annotations

from django.db import transaction

from inkwell.errors import Conflict
from tenants.error_codes import TenantErrorCode
from tenants.models import Membership, Tenant, User
from tenants.selectors import user_by_email
from tenants.services.audit import audit_record
from tenants.services.signin import signin_welcome_send

OWNER = Membership.Role.OWNER


def team_of(*, tenant: Tenant):
    return Membership.objects.filter(tenant=tenant).select_related("user").order_by("-role", "user__email")


@transaction.atomic
def member_invite(*, tenant: Tenant, email: str, role: str, actor: User) -> Membership:
    """Add the person with `email` (made if new) to the team and email them a welcome sign-in link."""
    Tenant.objects.select_for_update().only("pk").get(pk=tenant.pk)  # one team change at a time
    user = user_by_email(email)
    if user is None:
        user = User.objects.create_user(email=email)
    elif not user.is_active:
        raise Conflict(
            "This person's account is closed; ask Inkwell staff.", code=TenantErrorCode.ACCOUNT_CLOSED
        )
    if Membership.objects.filter(user=user, tenant=tenant).exists():
        raise Conflict(f"{user.email} is already in the team.", code=TenantErrorCode.ALREADY_MEMBER)
    membership = Membership.objects.create(user=user, tenant=tenant, role=role)
    audit_record(actor=actor, action="team.invited", tenant=tenant, data={"email": user.email, "role": role})
    signin_welcome_send(tenant=tenant, user=user)  # queued when this commits
    return membership


def _team_locked(membership: Membership) -> Membership:
    """Lock the tenant's team for the rest of the transaction (its Tenant row: one lock, taken
    first, so two owners changing the team at once queue instead of deadlocking) and read
    `membership` again as it is now."""
    Tenant.objects.select_for_update().only("pk").get(pk=membership.tenant_id)
    return Membership.objects.select_related("user", "tenant").get(pk=membership.pk)


def _keep_an_owner(membership: Membership) -> None:
    """Refuse to take away the tenant's last owner (call with the team locked)."""
    owners = Membership.objects.filter(tenant_id=membership.tenant_id, role=OWNER).count()
    if membership.role == OWNER and owners <= 1:
        raise Conflict(
            "A business needs at least one owner: make someone else an owner first.",
            code=TenantErrorCode.LAST_OWNER,
        )


@transaction.atomic
def member_role_set(*, membership: Membership, role: str, actor: User) -> Membership:
    membership = _team_locked(membership)
    if role == membership.role:
        return membership
    if role != OWNER:
        _keep_an_owner(membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor, action="team.role_changed", tenant=membership.tenant,
        data={"email": membership.user.email, "from": before, "to": role},
    )  # fmt: skip
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User) -> None:
    """Take the person out of the team: their next request on this tenant's host is refused."""
    membership = _team_locked(membership)
    _keep_an_owner(membership)
    audit_record(
        actor=actor, action="team.removed", tenant=membership.tenant,
        data={"email": membership.user.email, "role": membership.role},
    )  # fmt: skip
    membership.delete()
