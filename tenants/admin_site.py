"""The staff back office's admin site: a password and, where settings.STAFF_2FA asks, a TOTP code.

Throttling of wrong passwords is django-axes' (settings, "Staff back office"); this module adds the
second factor on top of Django's admin login and the page shown to a locked-out login.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm

NOT_ENROLLED = (
    "Staff sign-in needs an authenticator app here. Ask an operator to run "
    "“manage.py staff_totp_enrol <your email>” and add the result to your app."
)


def second_factor_missing_is_allowed(user) -> bool:
    """Only where the second factor is optional, and only for staff who never enrolled one: staff with
    an authenticator always give its code."""
    return settings.STAFF_2FA == "optional" and not user_has_device(user)


class StaffAuthenticationForm(OTPAdminAuthenticationForm):
    """The admin login: email, password and the authenticator's current code."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].label = "Authenticator code"
        if settings.STAFF_2FA == "optional":
            self.fields["otp_token"].help_text = "Only if you have set up an authenticator app."

    def clean_otp(self, user):
        if user is None:  # the password was wrong; that error is already on the form
            return
        if second_factor_missing_is_allowed(user):
            return
        devices = list(devices_for_user(user))
        if not devices:
            raise ValidationError(NOT_ENROLLED, code="otp_not_enrolled")
        if not self.cleaned_data.get("otp_device") and len(devices) == 1:
            # One authenticator leaves nothing to choose, so the first submit can sign in.
            self.cleaned_data["otp_device"] = devices[0].persistent_id
        super().clean_otp(user)


class StaffAdminSite(AdminSite):
    site_header = "Inkwell back office"
    site_title = "Inkwell back office"
    index_title = "Inkwell back office"
    login_form = StaffAuthenticationForm
    login_template = "otp/admin111/login.html"  # django-otp's admin login, with the code field

    def has_permission(self, request):
        """Active staff whose session was verified by their authenticator at login (or who may do
        without one, see second_factor_missing_is_allowed)."""
        if not super().has_permission(request):
            return False
        return request.user.is_verified() or second_factor_missing_is_allowed(request.user)


def lockout_response(request, original_response, credentials):
    """What django-axes answers once an account is locked for this address."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many wrong passwords for this account from your address. Try again in {minutes} minutes, "
        "or ask another member of staff to unlock it."
    )
    return render(request, "error.html", {"message": message}, status=429)
