"""Enrol a staff member's authenticator app, the second factor of the admin login."""

import io

import segno
from django.core.management.base import BaseCommand, CommandError

from inkwell.errors import DomainError
from tenants.models import User
from tenants.services.staff import staff_totp_enrol


class Command(BaseCommand):
    help = "Create a TOTP authenticator for a staff account and print it as a QR code and otpauth:// URI."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--replace", action="store_true", help="replace an existing authenticator (e.g. a lost phone)"
        )

    def handle(self, *args, email, replace, **opts):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        try:
            device = staff_totp_enrol(user=user, actor=None, replace=replace)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Authenticator for {user.email}: scan this code with the app, or add the URI.")
        qr = io.StringIO()
        segno.make(device.config_url).terminal(out=qr, compact=True)
        self.stdout.write(qr.getvalue(), ending="")
        self.stdout.write(device.config_url)
