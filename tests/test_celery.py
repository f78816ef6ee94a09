"""Through a real Redis broker and a real worker: tasks run in the schema of the tenant that
sent them, and sign-in messages are delivered by the worker, not the web request."""

import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from inkwell.celery import app
from tests.conftest import client_for


@shared_task
def record_search_path(key: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")  # what PostgreSQL itself will resolve tables against
        cache.set(key, cursor.fetchone()[0], 60)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker):
    from tenants.models import SignInToken

    app.conf.task_always_eager = False  # the test settings run tasks inline; here they go through Redis
    try:
        with django_db_blocker.unblock(), start_worker(app, perform_ping_check=False, pool="solo") as w:
            yield w
            SignInToken.objects.all().delete()  # the worker's writes are committed: don't leave them to others
    finally:
        app.conf.task_always_eager = True


def wait_for(check, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived within {timeout} seconds")


def test_task_runs_in_the_senders_tenant_schema(worker, alpha, beta):
    with schema_context(alpha.tenant.schema_name):
        record_search_path.delay("from-alpha")
    with schema_context(beta.tenant.schema_name):
        record_search_path.delay("from-beta")
    record_search_path.delay("from-public")
    assert wait_for(lambda: cache.get("from-alpha")) == "t_alpha, public"
    assert wait_for(lambda: cache.get("from-beta")) == "t_beta, public"
    assert wait_for(lambda: cache.get("from-public")) == "public"


def test_sign_in_link_is_delivered_by_the_worker(worker, alpha):
    response = client_for(alpha).post("/sign-in/", {"email": alpha.owner.email})
    assert response.status_code == 200
    message = wait_for(lambda: next((m for m in mail.outbox if m.to == [alpha.owner.email]), None))
    assert "http://alpha.localhost:8000/sign-in/link/" in message.body


def test_welcome_link_is_made_and_sent_by_the_worker(worker, alpha):
    from tenants.services.signin import signin_welcome_send

    signin_welcome_send(tenant=alpha.tenant, user=alpha.owner)
    message = wait_for(lambda: next((m for m in mail.outbox if m.subject.startswith("Welcome")), None))
    assert message.to == [alpha.owner.email] and "valid for 7 days" in message.body
    assert "http://alpha.localhost:8000/sign-in/link/" in message.body
