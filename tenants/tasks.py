"""Background work for the tenant platform. Tasks take ids, are safe to run twice, and ack late."""

from celery import shared_task

from tenants.models import Tenant
from tenants.services import provisioning, signin, workspaces


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
def signin_link_deliver(*, tenant_id: int, email: str, ip: str | None) -> bool:
    return signin.signin_link_send(tenant=Tenant.objects.get(pk=tenant_id), email=email, ip=ip)


@shared_task(acks_late=True)
def signin_code_deliver(*, tenant_id: int, phone: str, challenge_digest: str, ip: str | None) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    return signin.signin_code_send(tenant=tenant, phone=phone, challenge_digest=challenge_digest, ip=ip)


@shared_task(acks_late=True)
def workspace_list_deliver(*, email: str, ip: str | None) -> bool:
    return workspaces.workspace_list_send(email=email, ip=ip)
