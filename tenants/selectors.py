"""Reads about tenants, users and memberships."""

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Lower

from tenants.fields import EncryptedJSONField
from tenants.models import Membership, Tenant, User


def tenant_host(subdomain: str) -> str:
    return f"{subdomain}.{settings.INKWELL_DOMAIN}"


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """The absolute URL of `path` on the tenant's own host, e.g. http://acme.localhost:8000/dashboard/."""
    port = f":{settings.INKWELL_PORT}" if settings.INKWELL_PORT else ""
    return f"{settings.INKWELL_SCHEME}://{tenant_host(tenant.subdomain)}{port}{path}"


def public_url(path: str = "/") -> str:
    """The absolute URL of `path` on the public host (INKWELL_PUBLIC_URL)."""
    return f"{settings.INKWELL_PUBLIC_URL}{path}"


def membership_get(*, user: User, tenant: Tenant) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, tenant=tenant, user__is_active=True).first()


def email_key(email: str) -> str:
    """The form of an address that people are looked up by, and that per-address limits count.

    It is compared for equality with the database's lower() of the stored address. Not `iexact`:
    PostgreSQL's upper() folds look-alikes onto ASCII (upper('ſ') = 'S', upper('ı') = 'I'), so
    "owner@ſcilla…" would reach the account of "owner@scilla…" while a limit keyed on Python's
    lower() counted it as another address. Python's lower() keeps those letters, so such variants
    match no one, and each key reaches at most one account.
    """
    return email.strip().lower()


def _users_by_email(email: str) -> QuerySet[User]:
    return User.objects.alias(email_lower=Lower("email")).filter(email_lower=email_key(email))


def user_by_email(email: str) -> User | None:
    """The person with this address (active or not), matched as `email_key` says."""
    return _users_by_email(email).first()


def member_by_email(*, tenant: Tenant, email: str) -> User | None:
    return _users_by_email(email).filter(is_active=True, memberships__tenant=tenant).first()


def member_by_phone(*, tenant: Tenant, phone: str) -> User | None:
    return User.objects.filter(phone=phone, is_active=True, memberships__tenant=tenant).first()


def workspaces_of(*, user: User) -> QuerySet[Tenant]:
    """The live tenants `user` belongs to (not suspended, canceled or unclaimed), by name."""
    return (
        Tenant.objects.filter(memberships__user=user, status=Tenant.Status.ACTIVE)
        .select_related("config")
        .order_by("name", "pk")
    )


def tenant_owners(*, tenant: Tenant) -> QuerySet[User]:
    """The active people who own `tenant`, by email."""
    return User.objects.filter(
        memberships__tenant=tenant, memberships__role=Membership.Role.OWNER, is_active=True
    ).order_by("email")


def spare_tenants() -> QuerySet[Tenant]:
    return Tenant.objects.filter(status=Tenant.Status.SPARE)


def public_tenant() -> Tenant:
    return Tenant.objects.get(schema_name="public")


SECRET_COLUMN_HINTS = ("digest", "secret", "token", "password", "key", "otp", "pin")


def tenant_data_overview(tenant: Tenant, *, rows_per_model: int = 20) -> dict:
    """What staff see when they inspect a tenant: the tables of its schema with row counts, and the
    latest rows of each tenant-app model, with secret-looking columns masked."""
    from django.apps import apps
    from django.db import connection
    from django_tenants.utils import schema_context

    tenant_labels = {app.rsplit(".", 1)[-1] for app in settings.TENANT_APPS} - {"contenttypes"}
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE' "
            "ORDER BY table_name",
            [tenant.schema_name],
        )
        tables = []
        for (name,) in cursor.fetchall():
            cursor.execute(f'SELECT count(*) FROM "{tenant.schema_name}"."{name}"')  # noqa: S608 (catalog names)
            tables.append({"name": name, "count": cursor.fetchone()[0]})
        models = []
        for model in apps.get_models():
            if model._meta.app_label not in tenant_labels:
                continue
            fields = [f.name for f in model._meta.concrete_fields]
            masked = {
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, EncryptedJSONField) or any(hint in f.name for hint in SECRET_COLUMN_HINTS)
            }
            rows = [
                ["••••" if f in masked else getattr(obj, f) for f in fields]
                for obj in model.objects.order_by("-pk")[:rows_per_model]
            ]
            models.append({"name": model._meta.verbose_name_plural, "app": model._meta.app_label, "fields": fields,
                           "rows": rows})  # fmt: skip
    return {"tables": tables, "models": models}
