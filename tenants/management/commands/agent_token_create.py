from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from inkwell.errors import DomainError
from tenants.models import Tenant
from tenants.selectors import tenant_url
from tenants.services.agent_tokens import SCOPES, agent_token_create

MAX_EXPIRES_DAYS = 3650  # ten years; a larger number overflows dates long before it means anything


class Command(BaseCommand):
    help = (
        "Create an agent token for a tenant's MCP endpoint and print it (once: only its digest is kept). "
        "The token is the last line printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="The tenant's subdomain")
        parser.add_argument("--name", required=True, help='The agent\'s name, e.g. "SEO agent"')
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated, from: {', '.join(SCOPES)} (e.g. read,publish)"
        )
        parser.add_argument(
            "--expires-days",
            type=int,
            default=None,
            help="Days until the token stops working (default: never)",
        )

    def handle(self, *args, **opts):
        tenant = Tenant.objects.filter(
            subdomain=opts["tenant"].strip().lower(), status=Tenant.Status.ACTIVE
        ).first()
        if tenant is None:
            raise CommandError(f"No active tenant has the subdomain “{opts['tenant']}”.")
        days = opts["expires_days"]
        if days is not None and not 1 <= days <= MAX_EXPIRES_DAYS:
            raise CommandError(
                f"--expires-days must be between 1 and {MAX_EXPIRES_DAYS} "
                "(leave it out for a token that does not expire)."
            )
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            new = agent_token_create(
                tenant=tenant,
                name=opts["name"],
                scopes=opts["scopes"].split(","),
                actor=None,
                expires_at=expires_at,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        token = new.token
        expiry = f"until {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "with no expiry"
        self.stdout.write(
            f"Agent token for “{token.name}” of {tenant.name}, scopes {', '.join(token.scopes)}, {expiry}."
        )
        self.stdout.write(f"MCP endpoint: {tenant_url(tenant, '/mcp')} (Authorization: Bearer <token>)")
        self.stdout.write("The token (shown once, store it now):")
        self.stdout.write(new.secret)
