"""Creating tenants, fast.

django-tenants' default creates a schema and runs every tenant migration when a tenant is saved,
so provisioning slows down as migrations accumulate. Instead we keep a few *spare* tenant schemas
ready: ordinary Tenant rows with status "spare", created and migrated like any tenant (so
`migrate_schemas` keeps them current). Provisioning claims one in a single transaction:

    lock a spare row (SKIP LOCKED) → check it is fully migrated → ALTER SCHEMA … RENAME →
    fill in the tenant row, domain, config, owner and membership → commit

PostgreSQL DDL is transactional, so a failure anywhere rolls all of it back and the spare is
still a spare: there is never a half-made tenant. With no spare ready, the fallback creates one
with the migrate-on-create path and claims it the same way, so it costs what django-tenants
costs, plus a rename. A spare missing newer migrations is migrated before it is claimed.

While a spare is being built, migrated or held for one caller, its row is "provisioning", which
no one else claims; whatever happens, it ends up claimed, back in the pool, or dropped. A beat
task tops the pool up, refreshes stale spares and clears any a dead process left half-made.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants.error_codes import TenantErrorCode as E
from tenants.models import Domain, Membership, Plan, Tenant, TenantConfig, TenantStatusEvent, User
from tenants.selectors import spare_tenants, tenant_host, user_by_email
from tenants.services.signin import signin_welcome_send
from tenants.validators import normalize_phone, validate_no_control_characters, validate_subdomain

logger = logging.getLogger(__name__)


# A spare still "provisioning" after this long was left by a process that died while making it.
ABANDONED_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class ProvisionResult:
    tenant: Tenant
    owner: User
    created: bool  # False when the external key had already provisioned this tenant


def schema_name_for(subdomain: str) -> str:
    # Subdomains never contain "_", so the mapping is one-to-one; the prefix keeps tenant schemas
    # clear of "public", "pg_*" and the spares.
    return "t_" + subdomain.replace("-", "_")


# --- spares -----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tenant_migration_leaves() -> frozenset[tuple[str, str]]:
    """The latest migration of every tenant app, as known to the code on disk."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    tenant_labels = {apps.get_app_config(app.rsplit(".", 1)[-1]).label for app in settings.TENANT_APPS}
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return frozenset(node for node in graph.leaf_nodes() if node[0] in tenant_labels)


def spare_is_current(schema_name: str) -> bool:
    """True when `schema_name` exists and every tenant migration on disk has been applied in it."""
    if not schema_exists(schema_name):
        return False
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')  # noqa: S608 (validated name)
        applied = set(cursor.fetchall())
    return _tenant_migration_leaves() <= applied


def spare_schema_create(*, claimable: bool = True) -> Tenant:
    """Create and fully migrate one spare schema (the migrate-on-create path). Cleans up after itself.

    The row stays "provisioning" (never claimable) while its schema is built and becomes "spare"
    only once complete; with `claimable=False` it stays reserved for the caller to claim.
    """
    spare = Tenant.objects.create(
        schema_name=f"spare_{secrets.token_hex(8)}",
        status=Tenant.Status.PROVISIONING,
        reserved_at=timezone.now(),
    )
    try:
        spare.create_schema(check_if_exists=False, verbosity=0)
    except BaseException:
        spare_schema_drop(spare)
        raise
    if claimable:
        _release(spare)
    return spare


def _reserve(spare: Tenant) -> bool:
    """Take a spare out of the pool for this caller; False if someone else got it first."""
    taken = Tenant.objects.filter(pk=spare.pk, status=Tenant.Status.SPARE).update(
        status=Tenant.Status.PROVISIONING, reserved_at=timezone.now()
    )
    return bool(taken)


def _release(spare: Tenant) -> None:
    """Put a reserved, complete spare (back) into the pool."""
    Tenant.objects.filter(pk=spare.pk, status=Tenant.Status.PROVISIONING, subdomain=None).update(
        status=Tenant.Status.SPARE, reserved_at=None
    )


def spare_schema_drop(spare: Tenant) -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{spare.schema_name}" CASCADE')
    Tenant.objects.filter(pk=spare.pk).delete()


def spare_schema_migrate(spare: Tenant) -> None:
    """Apply missing migrations to a reserved spare; a spare that can't be migrated is dropped."""
    try:
        call_command(
            "migrate_schemas", schema_name=spare.schema_name, tenant=True, interactive=False, verbosity=0
        )
    except BaseException:
        spare_schema_drop(spare)
        raise
    finally:
        connection.set_schema_to_public()


def _drop_abandoned_spares() -> None:
    """Drop spares whose reserver died (a killed process): reserved long ago, never claimed or released.
    Rows still locked by a live claim are skipped."""
    cutoff = timezone.now() - ABANDONED_AFTER
    for candidate in Tenant.objects.filter(
        status=Tenant.Status.PROVISIONING, subdomain=None, reserved_at__lt=cutoff
    ):
        with transaction.atomic():
            locked = (
                Tenant.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=candidate.pk, status=Tenant.Status.PROVISIONING, subdomain=None, reserved_at__lt=cutoff
                )
                .first()
            )
            if locked is not None:
                spare_schema_drop(locked)


@contextmanager
def _pool_lock():
    """One pool maintenance at a time, whoever starts it (beat, admin, command); expires if its holder dies."""
    # Under the cache's key prefix ("inkwell"), so parallel test processes sharing a Redis keep apart.
    name = f"{settings.CACHES['default']['KEY_PREFIX']}:lock:spare-schemas"
    lock = redis.Redis.from_url(settings.REDIS_URL).lock(name, timeout=900)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()


def spare_schemas_top_up(*, target: int | None = None) -> int:
    """Clear abandoned spares, bring stale or broken ones in order, and fill the pool up to `target`
    (default SPARE_SCHEMAS). Returns how many spares were made (0 if another top-up is running)."""
    target = settings.SPARE_SCHEMAS if target is None else target
    with _pool_lock() as acquired:
        if not acquired:
            return 0
        _drop_abandoned_spares()
        for spare in spare_tenants():
            if spare_is_current(spare.schema_name) or not _reserve(spare):
                continue  # fine, or claimed by a provisioning meanwhile
            if schema_exists(spare.schema_name):
                spare_schema_migrate(spare)
                _release(spare)
            else:
                spare_schema_drop(spare)
        made = 0
        while spare_tenants().count() < target:
            spare_schema_create()
            made += 1
        return made


# --- provisioning -----------------------------------------------------------------------------------


def _name_error(value: str, max_length: int, what: str) -> ValidationError | None:
    """Why `value` can't be stored as a name of at most `max_length` characters, if it can't."""
    if len(value) > max_length:
        return ValidationError(
            f"Use at most {max_length} characters for the {what} (this one has {len(value)}).",
            code=E.NAME_TOO_LONG,
        )
    try:
        validate_no_control_characters(value)
    except ValidationError as exc:
        return exc
    return None


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _clean_request(
    *, name, subdomain, owner_email, owner_phone, owner_name, plan
) -> tuple[str, str, str, str, str]:
    errors: dict[str, ValidationError] = {}
    name = (name or "").strip()
    subdomain = (subdomain or "").strip().lower()
    owner_email = (owner_email or "").strip().lower()
    owner_name = (owner_name or "").strip()
    if not name:
        errors["name"] = ValidationError("A business name is required.", code=E.NAME_REQUIRED)
    elif error := _name_error(name, Tenant._meta.get_field("name").max_length, "business name"):
        errors["name"] = error
    if error := _name_error(owner_name, User._meta.get_field("full_name").max_length, "owner's name"):
        errors["owner_name"] = error
    try:
        validate_subdomain(subdomain)
    except ValidationError as exc:
        errors["subdomain"] = exc
    else:
        if (
            Tenant.objects.filter(subdomain=subdomain).exists()
            or Domain.objects.filter(domain=tenant_host(subdomain)).exists()
            or schema_exists(schema_name_for(subdomain))  # e.g. left behind by a tenant deleted by hand
        ):
            errors["subdomain"] = ValidationError(
                f"The subdomain “{subdomain}” is already taken.", code=E.SUBDOMAIN_TAKEN
            )
    # The validator allows 320 characters; an account's address holds 254.
    if len(owner_email) > User._meta.get_field("email").max_length or not _valid_email(owner_email):
        errors["owner_email"] = ValidationError(
            "Enter a valid email address for the owner.", code=E.INVALID_EMAIL
        )
    if owner_phone:
        try:
            owner_phone = normalize_phone(owner_phone)
        except ValidationError as exc:
            errors["owner_phone"] = exc
    if plan and plan not in Plan.values:
        errors["plan"] = ValidationError(
            f"Choose a plan among: {', '.join(Plan.values)}.", code=E.INVALID_PLAN
        )
    if errors:
        raise ValidationError(errors)
    return name, subdomain, owner_email, owner_phone or "", owner_name


def _claim(
    spare: Tenant, *, name: str, subdomain: str, owner_email: str, owner_phone: str, owner_name: str,
    plan: str, external_key: str | None, actor: User | None,
) -> ProvisionResult:  # fmt: skip
    """Turn a locked spare into the new tenant. Must run inside the caller's transaction."""
    old_schema, new_schema = spare.schema_name, schema_name_for(subdomain)
    # The row first: a concurrent claim of the same subdomain then fails on the unique index
    # (IntegrityError, reported as "taken") before either touches a schema.
    spare.schema_name = new_schema
    spare.name = name
    spare.subdomain = subdomain
    spare.plan = plan
    spare.external_key = external_key
    spare.status = Tenant.Status.ACTIVE
    # The tenant comes into being now, not when its spare schema was made.
    spare.created = spare.activated_at = timezone.now()
    spare.reserved_at = None
    spare.save()
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{old_schema}" RENAME TO "{new_schema}"')
    Domain.objects.create(domain=tenant_host(subdomain), tenant=spare, is_primary=True)
    TenantConfig.objects.create(tenant=spare, brand_name=name)
    owner = _owner_for(email=owner_email, phone=owner_phone, full_name=owner_name)
    Membership.objects.create(user=owner, tenant=spare, role=Membership.Role.OWNER)
    TenantStatusEvent.objects.create(
        tenant=spare, from_status=Tenant.Status.PROVISIONING, to_status=Tenant.Status.ACTIVE,
        actor=actor, reason="provisioned",
    )  # fmt: skip
    return ProvisionResult(tenant=spare, owner=owner, created=True)


def _owner_for(*, email: str, phone: str, full_name: str) -> User:
    """The owner's account: the existing person with this address, or a new one.

    Whoever asks for a tenant proves nothing about who they are (billing will call this from a
    public signup), so an existing person's identity is never changed: a phone number given for
    them would let its holder sign in by SMS to all their tenants. They add a number themselves.
    A new person gets the number only if no one else has it, and silently goes without otherwise:
    an error would tell an anonymous caller that the number is registered.
    """
    owner = user_by_email(email)
    if owner is not None:
        return owner
    if phone and User.objects.filter(phone=phone).exists():
        phone = ""
    return User.objects.create_user(email=email, full_name=full_name, phone=phone)


def _existing(external_key: str | None) -> ProvisionResult | None:
    if not external_key:
        return None
    tenant = Tenant.objects.filter(external_key=external_key).first()
    if tenant is None:
        return None
    owner = User.objects.filter(memberships__tenant=tenant, memberships__role=Membership.Role.OWNER).first()
    return ProvisionResult(tenant=tenant, owner=owner, created=False)


def tenant_provision(
    *,
    name: str,
    subdomain: str,
    owner_email: str,
    owner_phone: str = "",
    owner_name: str = "",
    plan: str = "",
    external_key: str | None = None,
    send_welcome: bool = True,
    actor: User | None = None,
) -> ProvisionResult:
    """Create a ready-to-use tenant: schema, domain, config, owner and owner membership, and record
    its move to active with `actor` (who asked: staff in the admin; None for a command or a webhook).

    The owner is the existing person with `owner_email` if there is one, used as they are;
    `owner_phone` and `owner_name` only fill in a new person (see `_owner_for`).
    Idempotent per `external_key`: a second call with the same key returns the first tenant.
    Raises ValidationError (with field errors) for bad input; nothing is written in that case.
    """
    if found := _existing(external_key):
        return found
    name, subdomain, owner_email, owner_phone, owner_name = _clean_request(
        name=name, subdomain=subdomain, owner_email=owner_email, owner_phone=owner_phone,
        owner_name=owner_name, plan=plan,
    )  # fmt: skip
    claim_args = dict(
        name=name, subdomain=subdomain, owner_email=owner_email, owner_phone=owner_phone,
        owner_name=owner_name, plan=plan, external_key=external_key, actor=actor,
    )  # fmt: skip
    connection.set_schema_to_public()
    reserved: Tenant | None = None  # a spare held back for this call (made by the fallback, or stale)
    try:
        for _attempt in range(5):
            with transaction.atomic():
                spare = _pick_spare(reserved)
                if spare is None:
                    problem = "none"
                elif not schema_exists(spare.schema_name):
                    problem = "broken"
                elif not spare_is_current(spare.schema_name):
                    problem = "stale"
                    spare.status = Tenant.Status.PROVISIONING  # reserve it while the row is locked
                    spare.reserved_at = timezone.now()
                    spare.save(update_fields=["status", "reserved_at"])
                else:
                    result = _claim(spare, **claim_args)
                    if send_welcome:  # queued once the claim commits: nothing is sent for a rolled-back one
                        signin_welcome_send(tenant=result.tenant, user=result.owner)
                    logger.info("Provisioned %s from spare schema %s", subdomain, spare.pk)
                    return result
            if problem == "none":  # no spare was free: make one the slow way and claim that one
                reserved = spare_schema_create(claimable=False)
            elif problem == "broken":  # a row whose schema is gone: clear it away and try again
                spare_schema_drop(spare)
            else:  # migrations were added since this spare was made
                spare_schema_migrate(spare)
                reserved = spare
    except IntegrityError:
        # A concurrent call won the race for the same key or subdomain (or, rarely, owner).
        if found := _existing(external_key):
            return found
        _clean_request(
            name=name, subdomain=subdomain, owner_email=owner_email, owner_phone=owner_phone,
            owner_name=owner_name, plan=plan,
        )  # fmt: skip
        raise
    finally:
        if reserved is not None:
            _release(reserved)  # no-op once claimed; otherwise back to the pool, never an orphan
    raise RuntimeError("Could not claim a spare schema after several attempts; try again.")


def _pick_spare(reserved: Tenant | None) -> Tenant | None:
    """Lock the spare to claim: the one reserved for this call, else the oldest free one."""
    if reserved is not None:
        return (
            Tenant.objects.select_for_update()
            .filter(pk=reserved.pk, status=Tenant.Status.PROVISIONING)
            .first()
        )
    return spare_tenants().select_for_update(skip_locked=True).order_by("pk").first()
