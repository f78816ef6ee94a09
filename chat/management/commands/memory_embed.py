"""Queue the embedding of every memory entry not yet embedded by the current EMBEDDING_MODEL: after
switching EMBEDDING_BACKEND on, or changing the model, for entries written before.

    manage.py memory_embed --tenant scilla      (one tenant)
    manage.py memory_embed --all                (every active tenant)
"""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from chat import tasks
from chat.embeddings import embedder, embedding_model
from chat.models import MemoryEntry
from inkwell.queue import enqueue_on_commit
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Queue embeddings for memory entries that have none from the current model."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--tenant", help="The tenant's subdomain.")
        which.add_argument("--all", action="store_true", help="Every active tenant.")

    def handle(self, *args, tenant=None, all=False, **options):
        if embedder() is None:
            raise CommandError("Embeddings are off: set EMBEDDING_BACKEND (and OPENAI_API_KEY for openai).")
        tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(
            schema_name=get_public_schema_name()
        )
        if tenant:
            tenants = tenants.filter(subdomain=tenant)
            if not tenants.exists():
                raise CommandError(f"No active tenant has the subdomain {tenant!r}.")
        model, queued = embedding_model(), 0
        for each in tenants.order_by("pk"):
            with tenant_context(each):
                ids = MemoryEntry.objects.exclude(embedding_model=model).values_list("pk", flat=True)
                for entry_id in ids.iterator():
                    enqueue_on_commit(tasks.memory_entry_embed, entry_id=entry_id)
                    queued += 1
        self.stdout.write(f"{queued} memory entries queued for embedding with {model}.")
