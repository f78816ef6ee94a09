"""Background work for contracts. Tasks take ids, are safe to run twice, and run in the tenant's schema."""

from celery import shared_task

from contracts.services import contracts


@shared_task(acks_late=True)
def contract_link_deliver(*, contract_id: int, send_event_id: int) -> bool:
    return contracts.contract_link_deliver(contract_id=contract_id, send_event_id=send_event_id)


# --- c-track (issue 15 §8–9): milestones, reminders, expiry, review requests ----------------------


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
