"""Background work for contracts. Tasks take ids, are safe to run twice, and run in the tenant's schema."""

from celery import shared_task

from contracts.services import contracts


@shared_task(acks_late=True)
def contract_link_deliver(*, contract_id: int, send_event_id: int) -> bool:
    return contracts.contract_link_deliver(contract_id=contract_id, send_event_id=send_event_id)
