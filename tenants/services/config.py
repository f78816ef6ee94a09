"""Changes to a tenant's configuration ("DNA")."""

from django.db import transaction

from tenants.models import TenantConfig


@transaction.atomic
def tenant_config_update(*, config: TenantConfig, data: dict) -> TenantConfig:
    """Apply `data` (already validated at the edge) and save; full_clean() guards the model's own rules.

    For the logo, as Django forms give it: a file replaces it, False clears it, None keeps it.
    """
    for field, value in data.items():
        if field == "logo":
            if value is None:
                continue
            value = value or ""
        setattr(config, field, value)
    config.full_clean()
    config.save()
    return config


@transaction.atomic
def tenant_connector_secrets_set(*, config: TenantConfig, connector: str, secrets: dict) -> TenantConfig:
    """Store credentials for one connector (encrypted at rest); an empty dict removes them."""
    locked = TenantConfig.objects.select_for_update().get(pk=config.pk)
    stored = dict(locked.connector_secrets)
    if secrets:
        stored[connector] = secrets
    else:
        stored.pop(connector, None)
    locked.connector_secrets = stored
    locked.save(update_fields=["connector_secrets", "updated"])
    config.connector_secrets = stored
    return locked
