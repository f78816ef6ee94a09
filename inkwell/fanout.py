"""Beat schedules fan out: one task per active tenant, each running in that tenant's schema."""

from __future__ import annotations

from celery import Task
from django_tenants.utils import get_public_schema_name, schema_context


def for_each_tenant(task: Task, **kwargs) -> int:
    """Queue `task` (keyword arguments: ids, not objects) once in every active tenant's schema.
    Returns how many were queued.

    tenant-schemas-celery stamps each task with the schema current when it is queued, so the worker
    runs it in that tenant's schema; one tenant's failure or slowness doesn't hold up the others.
    """
    from tenants.models import Tenant

    schemas = (
        Tenant.objects.filter(status=Tenant.Status.ACTIVE)
        .exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )
    queued = 0
    for schema in schemas:
        with schema_context(schema):
            task.apply_async(kwargs=kwargs)
        queued += 1
    return queued
