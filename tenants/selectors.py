"""Reads about tenants, users and memberships."""

from django.conf import settings
from django.db.models import QuerySet

from tenants.models import Membership, Tenant, User


def tenant_host(subdomain: str) -> str:
    return f"{subdomain}.{settings.INKWELL_DOMAIN}"


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """The absolute URL of `path` on the tenant's own host, e.g. http://acme.localhost:8000/dashboard/."""
    port = f":{settings.INKWELL_PORT}" if settings.INKWELL_PORT else ""
    return f"{settings.INKWELL_SCHEME}://{tenant_host(tenant.subdomain)}{port}{path}"


def membership_get(*, user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, tenant=tenant, user__is_active=True).first()


def member_by_email(*, tenant: Tenant, email: str) -> User | None:
    return User.objects.filter(
        email__iexact=email.strip(), is_active=True, memberships__tenant=tenant
    ).first()


def member_by_phone(*, tenant: Tenant, phone: str) -> User | None:
    return User.objects.filter(phone=phone, is_active=True, memberships__tenant=tenant).first()


def spare_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.filter(status=Tenant.Status.SPARE)


def public_tenant() -> Tenant:
    return Tenant.objects.get(schema_name="public")
