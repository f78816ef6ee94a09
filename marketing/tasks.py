"""Background work for leads. Tasks take ids, are safe to run twice, and run in the tenant's schema."""

from celery import shared_task


@shared_task(acks_late=True)
def lead_owner_notify(*, lead_id: int) -> bool:
    from marketing.services.notify import lead_owner_notify as notify

    return notify(lead_id=lead_id)


# --- Analytics ingestion ---------------------------------------------------------------------------


@shared_task(acks_late=True)
def ingestion_schedule_all() -> int:
    """Hourly: every active tenant checks whether its local ingestion hour has come."""
    from inkwell.fanout import for_each_tenant

    return for_each_tenant(ingestion_schedule)


def _current_tenant():
    """The task's tenant with its configuration read now: a worker may reuse a cached tenant object,
    whose configuration (time zone, connector status) could be stale."""
    from django.db import connection

    from tenants.models import Tenant

    return Tenant.objects.select_related("config").get(pk=connection.tenant.pk)


@shared_task(acks_late=True)
def ingestion_schedule() -> list[int]:
    from marketing.services.ingestion import ingestion_schedule_tenant

    return ingestion_schedule_tenant(tenant=_current_tenant())


@shared_task(bind=True, acks_late=True)
def ingestion_run(self, *, run_id: int) -> int:
    """Fetch and store one run. 429/5xx/time-outs retry with exponential backoff and jitter; revoked
    credentials and other errors fail the run at once (it keeps the error)."""
    from django.conf import settings

    from marketing.connectors.base import ConnectorError, ConnectorTemporaryError
    from marketing.services.ingestion import ingestion_run_execute, retry_delay
    from marketing.services.scoring import scores_store

    will_retry = self.request.retries < settings.INGESTION_MAX_RETRIES
    tenant = _current_tenant()
    try:
        run = ingestion_run_execute(run_id=run_id, tenant=tenant, will_retry=will_retry)
    except ConnectorTemporaryError as exc:
        if not will_retry:
            return 0
        raise self.retry(
            exc=exc, countdown=retry_delay(retries=self.request.retries, retry_after=exc.retry_after)
        ) from exc
    except ConnectorError:
        return 0  # recorded on the run; retrying would not help
    if run.rows:  # nothing written, nothing to rescore
        scores_store(tenant=tenant, start=run.window_start, end=run.window_end)
    return run.rows
