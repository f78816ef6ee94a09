from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tenants.services.apikeys import apikey_create


class Command(BaseCommand):
    help = "Create an API key for a tenant and print it (once: only its digest is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's subdomain")
        parser.add_argument("--name", required=True, help='What the key is for, e.g. "Website quote form"')

    def handle(self, *args, **opts):
        tenant = Tenant.objects.filter(
            subdomain=opts["tenant"].strip().lower(), status=Tenant.Status.ACTIVE
        ).first()
        if tenant is None:
            raise CommandError(f"No active tenant has the subdomain “{opts['tenant']}”.")
        try:
            new = apikey_create(tenant=tenant, label=opts["name"], actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"API key “{new.api_key.label}” for {tenant.name} (shown once, store it now):")
        self.stdout.write(new.key)
