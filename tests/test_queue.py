"""enqueue_on_commit: nothing is queued for a rolled-back write, and a broker outage is a clear 503."""

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from inkwell.errors import ServiceUnavailable
from inkwell.queue import enqueue_on_commit
from tenants import tasks


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks.signin_tokens_purge, "apply_async", lambda *a, **kw: calls.append(kw["kwargs"]))
    return calls


def test_inside_a_transaction_the_task_waits_for_the_commit(queued, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(tasks.signin_tokens_purge, tenant_id=7)
        assert queued == []
    assert queued == [{"tenant_id": 7}]


def test_a_rolled_back_write_queues_nothing(queued, db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(tasks.signin_tokens_purge, tenant_id=7)
        raise RuntimeError("the write failed")
    assert queued == []


def test_outside_a_transaction_it_is_queued_at_once(queued, db):
    enqueue_on_commit(tasks.signin_tokens_purge, tenant_id=8)
    assert queued == [{"tenant_id": 8}]


def test_a_broker_outage_is_service_unavailable_with_a_code(monkeypatch, db):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.signin_tokens_purge, "apply_async", broker_down)
    with pytest.raises(ServiceUnavailable) as raised:
        enqueue_on_commit(tasks.signin_tokens_purge)
    assert raised.value.code == "queue_unavailable" and raised.value.status_code == 503


def test_a_broker_outage_after_commit_does_not_undo_the_write(
    monkeypatch, caplog, db, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.signin_tokens_purge, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enqueue_on_commit(tasks.signin_tokens_purge)
    assert "Cannot queue" in caplog.text


def test_a_task_runs_in_the_schema_it_was_queued_from_not_the_one_at_commit(
    monkeypatch, alpha, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django_tenants.utils import tenant_context

    headers = []
    monkeypatch.setattr(
        tasks.signin_tokens_purge,
        "apply_async",
        lambda *a, **kw: headers.append(kw["headers"]["_schema_name"]),
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with tenant_context(alpha.tenant):
            enqueue_on_commit(tasks.signin_tokens_purge)
        # committed back in public, as a fan-out or a public webhook that reached into a tenant would
        assert connection.schema_name == "public"
    assert headers == [alpha.tenant.schema_name]
