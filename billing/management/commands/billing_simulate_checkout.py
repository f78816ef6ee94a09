"""Pay for a new workspace without Stripe: the offline backend's checkout, from the command line.

Records a signup (the same checks as the signup form), then builds the events Stripe would send for
its checkout, signs them with the local webhook secret and posts them to the running server's webhook
(`make run`), whose worker provisions the tenant and queues the welcome link (see the outbox).
"""

import time

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing import simulate
from billing.models import Signup
from billing.plans import PLANS
from billing.services.signup import signup_start
from tenants.selectors import public_url, tenant_url
from tenants.validators import normalize_phone


class Command(BaseCommand):
    help = "Simulate a paid Stripe checkout: signup → signed events to the running webhook → tenant."

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, choices=list(PLANS))
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--phone", default="")
        parser.add_argument("--name", default="", help="business name (default: from the subdomain)")
        parser.add_argument(
            "--url", default="", help="the running server (default: 127.0.0.1 on INKWELL_PUBLIC_URL's port)"
        )
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the workspace")

    def handle(self, *args, plan, subdomain, email, phone, name, url, wait, **options):
        if settings.BILLING_BACKEND != "local":
            raise CommandError(
                "Stripe keys are configured: use Stripe's test mode and `stripe listen --forward-to` instead."
            )
        try:
            phone = normalize_phone(phone) if phone else ""
            signup = signup_start(
                business_name=name or subdomain.replace("-", " ").title(), subdomain=subdomain, email=email,
                phone=phone, plan=plan,
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        webhook = (
            url.rstrip("/") or f"http://127.0.0.1:{settings.INKWELL_PORT or 80}"
        ) + "/billing/stripe/webhook/"

        def deliver(body: bytes, signature: str) -> None:
            # *.localhost does not resolve through the C library here: address loopback, name the host.
            response = requests.post(
                webhook, data=body, timeout=10,
                headers={"Stripe-Signature": signature, "Content-Type": "application/json", "Host": settings.INKWELL_DOMAIN},
            )  # fmt: skip
            if response.status_code != 200:
                raise CommandError(f"The webhook answered {response.status_code}: {response.text[:200]}")

        try:
            events = simulate.checkout_complete(signup=signup, deliver=deliver)
        except requests.ConnectionError as exc:
            raise CommandError(f"Nothing answers at {webhook}: is `make run` running?") from exc
        self.stdout.write(
            f"Posted {len(events)} signed events to {webhook}: {', '.join(e['type'] for e in events)}"
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            signup.refresh_from_db()
            if signup.status in (Signup.Status.READY, Signup.Status.FAILED):
                break
            time.sleep(0.2)
        if signup.status == Signup.Status.READY:
            self.stdout.write(self.style.SUCCESS(f"Workspace ready: {tenant_url(signup.tenant, '/')}"))
            self.stdout.write(
                f"The welcome sign-in link for {signup.email} is in the outbox (the `make run` console)."
            )
        elif signup.status == Signup.Status.FAILED:
            raise CommandError(f"Provisioning failed: {signup.error}")
        else:
            self.stdout.write(
                f"Still setting up (is the worker running?): {public_url(f'/signup/done/{signup.token}/')}"
            )
