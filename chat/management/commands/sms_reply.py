"""Simulate an SMS reply (an owner answering the daily question) the way Twilio delivers it: a POST to
the inbound webhook on the public host, signed with TWILIO_AUTH_TOKEN. In development the outbox
backend sends nothing, so this is how a reply arrives; the webhook checks the signature as usual.

    manage.py sms_reply --from +14165550100 "Toronto to Vancouver, by far"
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from tenants.validators import normalize_phone


class Command(BaseCommand):
    help = "Deliver a signed, simulated inbound SMS to the Twilio webhook and print the reply."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="sender", required=True, help="The sender's number (E.164).")
        parser.add_argument("body", help="The text of the SMS.")

    def handle(self, *args, sender: str, body: str, **options):
        try:
            sender = normalize_phone(sender)
        except ValidationError as exc:
            raise CommandError(f"{sender!r} is not a phone number: {exc}") from exc
        if not body.strip():
            raise CommandError("Give the text of the SMS.")
        path = reverse("twilio_inbound", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
        params = {"From": sender, "Body": body, "MessageSid": "SMsimulated"}
        # Signed over the URL Twilio would have been given, as Twilio signs it.
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
            settings.INKWELL_PUBLIC_URL + path, params
        )
        host = urlsplit(settings.INKWELL_PUBLIC_URL).netloc.split(":")[0]
        response = Client(HTTP_HOST=host).post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
        if response.status_code != 200:
            raise CommandError(f"The webhook refused the message ({response.status_code}).")
        self.stdout.write(response.content.decode())
