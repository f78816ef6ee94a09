"""Background work for contracts. Tasks take ids, are safe to run twice, and run in the tenant's schema."""

from celery import shared_task
from django.db import DatabaseError

from contracts.services import contracts, sealing


@shared_task(acks_late=True)
def contract_link_deliver(*, contract_id: int, send_event_id: int) -> bool:
    return contracts.contract_link_deliver(contract_id=contract_id, send_event_id=send_event_id)


# --- milestones, reminders, expiry, review requests ----------------------


@shared_task(acks_late=True)
def contract_event_notify(*, contract_id: int, event_id: int) -> bool:
    from contracts.services import tracking

    return tracking.contract_event_notify(contract_id=contract_id, event_id=event_id)


@shared_task(acks_late=True)
def contracts_sweep() -> dict[str, int]:
    """One tenant's hourly housekeeping (runs in the schema tenant-schemas-celery set)."""
    from contracts.services import reminders

    return reminders.contracts_sweep()


@shared_task(acks_late=True)
def contracts_sweep_all() -> int:
    from inkwell.fanout import for_each_tenant

    return for_each_tenant(contracts_sweep)


# --- Sealed PDF -------------------------------------------------------------------
@shared_task(
    bind=True,
    acks_late=True,
    # Six tries in all, about 30 s, 1, 2, 4 and 8 minutes apart (with jitter): rides out a full disk,
    # a storage or database outage; the contract stays `seal_failed` (signature intact) after that.
    autoretry_for=(sealing.ContractSealFailed, DatabaseError),
    max_retries=5,
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
)
def contract_seal(self, *, contract_id: int) -> bool:
    return sealing.contract_seal(contract_id=contract_id)
