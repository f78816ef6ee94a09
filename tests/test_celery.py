"""Tasks run in the schema of the tenant that sent them, through a real Redis broker and worker."""

import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from inkwell.celery import app


@shared_task
def record_schema(key: str) -> None:
    from tenants.models import TenantConfig

    # What a real task does: read tenant data through the ORM, in whatever schema it was given.
    cache.set(key, {"schema": connection.schema_name, "configs": TenantConfig.objects.count()}, 60)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        start_worker(app, perform_ping_check=False, pool="solo", concurrency=1) as w,
    ):
        yield w


def wait_for(key: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := cache.get(key)) is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"the task did not run within {timeout} seconds")


def test_task_runs_in_the_senders_tenant_schema(worker, alpha, beta):
    with schema_context(alpha.tenant.schema_name):
        record_schema.delay("from-alpha")
    with schema_context(beta.tenant.schema_name):
        record_schema.delay("from-beta")
    record_schema.delay("from-public")
    assert wait_for("from-alpha")["schema"] == "t_alpha"
    assert wait_for("from-beta")["schema"] == "t_beta"
    assert wait_for("from-public")["schema"] == "public"
