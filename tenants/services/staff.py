"""Staff accounts of the back office."""

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from inkwell.errors import Conflict, NotAllowed
from tenants.models import User


@transaction.atomic
def staff_totp_enrol(*, user: User, replace: bool = False) -> TOTPDevice:
    """Give an active staff member a new authenticator (TOTP) device and return it; its `config_url`
    (otpauth://…) is what the person adds to their app. An existing one is kept unless `replace`
    (a lost phone): then the old one stops working."""
    if not (user.is_staff and user.is_active):
        raise NotAllowed(f"{user} is not active staff; only staff sign in to the back office.")
    existing = TOTPDevice.objects.select_for_update().filter(user=user)
    if existing.exists() and not replace:
        raise Conflict(f"{user} already has an authenticator; replace it to enrol a new one.")
    existing.delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
