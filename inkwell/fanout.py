"""Beat schedules fan out: one task per active tenant, each running in that tenant's schema."""

from __future__ import annotations

from celery import Task
from django.conf import settings
from django_tenants.utils import get_public_schema_name, tenant_context


def for_each_tenant(task: Task, **kwargs) -> int:
    """Queue `task` (keyword arguments: ids, not objects) once in every active tenant's schema.
    Returns how many were queued.

    tenant-schemas-celery stamps each task with the schema current when it is queued, so the worker
    runs it in that tenant's schema; one tenant's failure or slowness doesn't hold up the others. They
    go to CELERY_TENANT_QUEUE: as many of them run at once as the workers on that queue allow, and more
    workers (on more machines) get through them sooner. Each task must be safe to run twice: beat
    may fire twice (two beats during a deploy, a redelivery after a lost worker).
    """
    from tenants.models import Tenant

    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name=get_public_schema_name())
    queued = 0
    for tenant in tenants.order_by("pk"):
        # The tenant itself, not only its schema name: a task run inline (tests, eager mode) finds the
        # real tenant on the connection, as a worker's schema switch gives it.
        with tenant_context(tenant):
            task.apply_async(kwargs=kwargs, queue=settings.CELERY_TENANT_QUEUE)
        queued += 1
    return queued


# Tenants per task in the every-minute sweeps (for_each_tenant_batched).
SWEEP_BATCH = 100


def for_each_tenant_batched(task: Task, *, size: int = SWEEP_BATCH) -> int:
    """Run `task` (no arguments) in every active tenant's schema, `size` tenants per queued task
    (tenants.tasks.in_each_tenant, on CELERY_TENANT_QUEUE). Returns how many tasks were queued.

    For the every-minute sweeps (relays, agent lifecycle), whose work in a tenant is a few
    milliseconds of indexed queries when, as nearly always, there is nothing to do: a Celery task per
    tenant cost many times that in queueing, routing and acknowledging (bench/scale.py at 33 tenants:
    137 ms of worker time per tenant a minute, against ~8 ms of queries; 30 ms batched). A batch still
    spreads over the workers, and one tenant's failure is logged without stopping the rest of its batch.
    """
    from tenants.models import Tenant
    from tenants.tasks import in_each_tenant

    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name=get_public_schema_name())
    names = list(tenants.order_by("pk").values_list("schema_name", flat=True))
    for start in range(0, len(names), size):
        in_each_tenant.apply_async(
            kwargs={"task_name": task.name, "schema_names": names[start : start + size]},
            queue=settings.CELERY_TENANT_QUEUE,
        )
    return -(-len(names) // size)


def route(name: str, args, kwargs, options, task=None, **extra) -> dict | None:
    """Celery router (CELERY_TASK_ROUTES): the per-tenant work listed in CELERY_TENANT_QUEUE_TASKS goes
    to the tenant queue wherever it is queued from; everything else to the default queue."""
    if name in settings.CELERY_TENANT_QUEUE_TASKS:
        return {"queue": settings.CELERY_TENANT_QUEUE}
    return None
