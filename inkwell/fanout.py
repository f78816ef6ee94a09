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


def route(name: str, args, kwargs, options, task=None, **extra) -> dict | None:
    """Celery router (CELERY_TASK_ROUTES): the per-tenant work listed in CELERY_TENANT_QUEUE_TASKS goes
    to the tenant queue wherever it is queued from; everything else to the default queue."""
    if name in settings.CELERY_TENANT_QUEUE_TASKS:
        return {"queue": settings.CELERY_TENANT_QUEUE}
    return None
