"""Changes to a tenant's configuration ("DNA")."""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.error_codes import TenantErrorCode
from tenants.models import AGENT_THRESHOLDS, TenantConfig, User
from tenants.services.audit import audit_record

# What owners, staff, API clients and agents may change. Anything else (the tenant, connector
# secrets, timestamps) has its own service or none; naming the fields keeps a new model field
# from becoming editable by accident.
EDITABLE_FIELDS: tuple[str, ...] = (
    "brand_name", "logo", "primary_color", "accent_color", "timezone", "locale", "currency",
    "business_phone", "business_email", "feature_contracts", "feature_dashboard", "feature_chat",
    "feature_questionnaire", "feature_campaigns", "feature_agents", "about", "services", "service_area", "hours",
    *AGENT_THRESHOLDS,
)  # fmt: skip
NOT_EDITABLE = "This setting cannot be changed here."


@transaction.atomic
def tenant_config_update(*, config: TenantConfig, data: dict, actor: User | str | None) -> TenantConfig:
    """Apply `data` (already validated at the edge) and save; full_clean() guards the model's own rules.

    Only EDITABLE_FIELDS may be given; any other key is a ValidationError and nothing is changed.
    For the logo, as Django forms give it: a file replaces it, False clears it, None keeps it; a
    replaced or cleared logo file is deleted once the change is committed. Records an audit event
    naming the fields that changed.
    """
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            {key: ValidationError(NOT_EDITABLE, code=TenantErrorCode.FIELD_NOT_EDITABLE) for key in unknown}
        )
    # The stored row, locked: a form may already have set new values on `config` itself.
    stored = TenantConfig.objects.select_for_update().get(pk=config.pk)
    for field, value in data.items():
        if field == "logo":
            if value is None:
                continue
            value = value or ""
        setattr(config, field, value)
    config.full_clean()
    changed = sorted(field for field in EDITABLE_FIELDS if getattr(config, field) != getattr(stored, field))
    # Only these fields: `config` may have been loaded before a concurrent write to the others
    # (connector secrets), which saving the whole row would undo.
    config.save(update_fields=[*EDITABLE_FIELDS, "updated"])
    if "logo" in changed and stored.logo.name:
        # Only after commit: a rolled-back update must still find its old logo.
        transaction.on_commit(partial(stored.logo.storage.delete, stored.logo.name))
    if changed:
        audit_record(actor=actor, action="config.updated", tenant=config.tenant, data={"fields": changed})
    return config


@transaction.atomic
def tenant_connector_secrets_set(
    *, config: TenantConfig, connector: str, secrets: dict, actor: User | str | None
) -> TenantConfig:
    """Store credentials for one connector (encrypted at rest); an empty dict removes them.
    The audit event names the connector, never the credentials."""
    locked = TenantConfig.objects.select_for_update().get(pk=config.pk)
    stored = dict(locked.connector_secrets)
    if secrets:
        stored[connector] = secrets
    else:
        stored.pop(connector, None)
    locked.connector_secrets = stored
    locked.save(update_fields=["connector_secrets", "updated"])
    config.connector_secrets = stored
    audit_record(
        actor=actor,
        action="config.connector_secrets_set" if secrets else "config.connector_secrets_removed",
        tenant=config.tenant,
        data={"connector": connector},
    )
    return locked
