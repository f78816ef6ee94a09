from django.core.management.base import BaseCommand

from tenants.selectors import spare_tenants
from tenants.services.provisioning import spare_schemas_top_up


class Command(BaseCommand):
    help = "Create spare, fully migrated tenant schemas up to SPARE_SCHEMAS (or --count)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=None)

    def handle(self, *args, **opts):
        made = spare_schemas_top_up(target=opts["count"])
        self.stdout.write(f"Created {made} spare schema(s); {spare_tenants().count()} ready.")
