"""Side effects after a write (tasks, emails, events) go through `enqueue_on_commit`.

Inside a transaction the task is queued only once the transaction commits, so nothing is sent for
a rolled-back write; outside one it is queued at once. A broker that can't be reached becomes a
`ServiceUnavailable` (503) for a caller that queues at once; after a commit the write has
happened, so the failure is logged instead of undoing it.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import Task
from django.db import connection, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from inkwell.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

QUEUE_DOWN = "We can't queue that right now. Try again in a minute."


def _send(task: Task, kwargs: dict, *, raise_unavailable: bool, schema: str) -> None:
    try:
        # tenant-schemas-celery runs the task in the schema named here (see inkwell/celery.py).
        task.apply_async(kwargs=kwargs, headers={"_schema_name": schema})
    except KombuOperationalError as exc:
        logger.error("Cannot queue %s: %s", task.name, exc)
        if raise_unavailable:
            raise ServiceUnavailable(QUEUE_DOWN, code="queue_unavailable") from exc


def _in_transaction() -> bool:
    # Django's test cases wrap each test in atomic blocks of their own (marked `_from_testcase`);
    # only blocks the code itself opened decide, so tests see what production does.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def enqueue_on_commit(task: Task, /, **kwargs) -> None:
    """Queue `task` with keyword arguments (ids, not objects) once the current transaction commits.

    The task runs in the schema current now, not at commit: a transaction may visit several tenants'
    schemas (a fan-out, a public-schema webhook reaching into a tenant) before it commits.
    """
    schema = connection.schema_name
    if _in_transaction():
        transaction.on_commit(partial(_send, task, kwargs, raise_unavailable=False, schema=schema))
    else:
        _send(task, kwargs, raise_unavailable=True, schema=schema)
