"""Periodic housekeeping for the tenant platform (scheduled by beat, see CELERY_BEAT_SCHEDULE)."""

import redis
from celery import shared_task
from django.conf import settings

from tenants.services.provisioning import spare_schemas_top_up as _top_up
from tenants.services.signin import signin_tokens_purge as _purge


@shared_task(acks_late=True)
def spare_schemas_top_up() -> int:
    """Keep SPARE_SCHEMAS ready schemas so the next provisioning is a rename, not a migration run."""
    # One top-up at a time across workers; the lock expires on its own if a worker dies.
    lock = redis.Redis.from_url(settings.REDIS_URL).lock("inkwell:lock:spare-schemas-top-up", timeout=900)
    if not lock.acquire(blocking=False):
        return 0
    try:
        return _top_up()
    finally:
        lock.release()


@shared_task(acks_late=True)
def signin_tokens_purge() -> int:
    return _purge()
