"""Staff accounts of the back office."""

from __future__ import annotations

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from inkwell.errors import Conflict, NotAllowed
from tenants.models import User
from tenants.services.audit import audit_record


@transaction.atomic
def staff_totp_enrol(*, user: User, actor: User | str | None, replace: bool = False) -> TOTPDevice:
    """Give an active staff member a new authenticator (TOTP) device and return it; its `config_url`
    (otpauth://…) is what the person adds to their app. An existing one is kept unless `replace`
    (a lost phone): then the old one stops working. Recorded in the audit trail, as a change to
    who can open the back office."""
    if not (user.is_staff and user.is_active):
        raise NotAllowed(f"{user} is not active staff; only staff sign in to the back office.")
    existing = TOTPDevice.objects.select_for_update().filter(user=user)
    replaced = existing.exists()
    if replaced and not replace:
        raise Conflict(f"{user} already has an authenticator; replace it to enrol a new one.")
    existing.delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    audit_record(
        actor=actor, action="staff.authenticator_enrolled", data={"user": user.email, "replaced": replaced}
    )
    return device
