from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Plan
from tenants.selectors import tenant_url
from tenants.services.provisioning import tenant_provision
from tenants.services.signin import signin_link_issue


class Command(BaseCommand):
    help = "Provision a tenant (schema, domain, config, owner) and print its URL and a one-time sign-in link."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help='Business name, e.g. "Acme Movers"')
        parser.add_argument("--subdomain", required=True, help="e.g. acme → acme.<INKWELL domain>")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--owner-phone", default="", help="Mobile number for SMS sign-in, e.g. +14165550123"
        )
        parser.add_argument("--owner-name", default="")
        parser.add_argument("--plan", default="", choices=["", *Plan.values])
        parser.add_argument("--key", default=None, help="Idempotency key (default: cli:<subdomain>)")

    def handle(self, *args, **opts):
        key = opts["key"] or f"cli:{opts['subdomain'].strip().lower()}"
        try:
            result = tenant_provision(
                name=opts["name"],
                subdomain=opts["subdomain"],
                owner_email=opts["owner_email"],
                owner_phone=opts["owner_phone"],
                owner_name=opts["owner_name"],
                plan=opts["plan"],
                external_key=key,
            )
        except ValidationError as exc:
            lines = [
                f"{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
            ]
            raise CommandError("Cannot create the tenant.\n  " + "\n  ".join(lines)) from None
        tenant = result.tenant
        verb = "Created" if result.created else "Already exists:"
        self.stdout.write(self.style.SUCCESS(f"{verb} {tenant.name} at {tenant_url(tenant)}"))
        link = signin_link_issue(tenant=tenant, user=result.owner)
        self.stdout.write(f"One-time sign-in link for {result.owner.email} (15 minutes): {link}")
