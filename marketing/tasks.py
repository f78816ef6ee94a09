"""Background work for leads. Tasks take ids, are safe to run twice, and run in the tenant's schema."""

from celery import shared_task


@shared_task(acks_late=True)
def lead_owner_notify(*, lead_id: int) -> bool:
    from marketing.services.notify import lead_owner_notify as notify

    return notify(lead_id=lead_id)
