"""Background work for the tenant platform. Tasks take ids, are safe to run twice, and ack late."""

import logging

from celery import current_app, shared_task
from django_tenants.utils import tenant_context

from tenants import messaging
from tenants.models import Tenant, User
from tenants.services import provisioning, signin, workspaces

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def in_each_tenant(*, task_name: str, schema_names: list[str]) -> int:
    """Run the per-tenant task `task_name` here, in each of `schema_names` in turn (the batched
    every-minute sweeps: inkwell.fanout.for_each_tenant_batched). Tenants no longer active are
    skipped; one tenant's failure is logged and the others go on. Returns how many succeeded."""
    task = current_app.tasks[task_name]
    succeeded = 0
    tenants = Tenant.objects.filter(schema_name__in=schema_names, status=Tenant.Status.ACTIVE)
    for tenant in tenants.order_by("pk"):
        try:
            with tenant_context(tenant):
                task.run()
        except Exception:
            logger.exception("%s failed in %s; the batch goes on", task_name, tenant.schema_name)
        else:
            succeeded += 1
    return succeeded


@shared_task(acks_late=True)
def spare_schemas_top_up() -> int:
    """Keep SPARE_SCHEMAS ready schemas so the next provisioning is a rename, not a migration run."""
    return provisioning.spare_schemas_top_up()


@shared_task(acks_late=True)
def signin_tokens_purge() -> int:
    return signin.signin_tokens_purge()


@shared_task(acks_late=True)
def sessions_clear() -> None:
    signin.sessions_clear()


@shared_task(acks_late=True)
def signin_link_deliver(*, tenant_id: int, email: str, ip: str | None, delivery_id: str) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    return signin.signin_link_send(tenant=tenant, email=email, ip=ip, delivery_id=delivery_id)


@shared_task(acks_late=True)
def signin_code_deliver(*, tenant_id: int, phone: str, challenge_digest: str, ip: str | None) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    return signin.signin_code_send(tenant=tenant, phone=phone, challenge_digest=challenge_digest, ip=ip)


@shared_task(acks_late=True)
def workspace_list_deliver(*, email: str, ip: str | None) -> bool:
    return workspaces.workspace_list_send(email=email, ip=ip)


@shared_task(acks_late=True)
def signin_welcome_deliver(*, tenant_id: int, user_id: int, delivery_id: str) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    return signin.signin_welcome_deliver(
        tenant=tenant, user=User.objects.get(pk=user_id), delivery_id=delivery_id
    )


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(messaging.EmailDeliveryError,),
    # Five tries in all, 1, 2, 4 and 8 minutes apart: rides out a restarting SMTP server or a
    # provider's brief outage, then gives up visibly (status "failed") instead of retrying forever.
    max_retries=4,
    retry_backoff=60,
    retry_jitter=False,
)
def email_deliver(self, *, message_id: int) -> bool:
    return messaging.email_deliver(message_id=message_id, last_try=self.request.retries >= self.max_retries)


@shared_task(acks_late=True)
def emails_requeue_stale() -> int:
    return messaging.emails_requeue_stale()
