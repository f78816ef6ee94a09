"""Beat schedules fan out: one task per active tenant, each running in that tenant's schema."""

from __future__ import annotations

from celery import Task
from django_tenants.utils import get_public_schema_name, tenant_context


def for_each_tenant(task: Task, **kwargs) -> int:
    """Queue `task` (keyword arguments: ids, not objects) once in every active tenant's schema.
    Returns how many were queued.

    tenant-schemas-celery stamps each task with the schema current when it is queued, so the worker
    runs it in that tenant's schema; one tenant's failure or slowness doesn't hold up the others.
    """
    from tenants.models import Tenant

    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(schema_name=get_public_schema_name())
    queued = 0
    for tenant in tenants.order_by("pk"):
        # The tenant itself, not only its schema name: a task run inline (tests, eager mode) finds the
        # real tenant on the connection, as a worker's schema switch gives it.
        with tenant_context(tenant):
            task.apply_async(kwargs=kwargs)
        queued += 1
    return queued
