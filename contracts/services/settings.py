"""The owner's contract-portal settings and terms. Both are audited in the tenant's audit trail."""

from __future__ import annotations

from django.db import connection, transaction

from contracts.models import ContractTemplate, PortalSettings
from contracts.services.contracts import contract_template_current, contract_template_publish
from contracts.services.events import Actor
from tenants.services.audit import audit_record

PORTAL_FIELDS = ("link_ttl_days", "require_sms_code", "reminder_days", "review_url", "reference_prefix")


@transaction.atomic
def portal_settings_update(*, data: dict, actor: Actor) -> PortalSettings:
    """Change the portal settings named in `data` (validated at the edge). Returns the settings.

    A new link lifetime applies to links sent from now on; references already given keep their prefix.
    """
    settings = PortalSettings.objects.select_for_update().get(pk=PortalSettings.load().pk)
    changed = sorted(name for name in PORTAL_FIELDS if name in data and getattr(settings, name) != data[name])
    for name in changed:
        setattr(settings, name, data[name])
    settings.full_clean()
    settings.save()
    if changed:
        audit_record(
            actor=actor.user or actor.label, action="contracts.settings_updated", tenant=connection.tenant,
            data={"fields": changed},
        )  # fmt: skip
    return settings


@transaction.atomic
def contract_terms_update(*, title: str, terms: str, consent_text: str, actor: Actor) -> ContractTemplate:
    """Publish the terms as a new version when they differ from the current one (else keep it).
    Contracts already sent keep the version they were sent with."""
    current = contract_template_current()
    if (current.title, current.terms, current.consent_text) == (title, terms, consent_text):
        return current
    template = contract_template_publish(title=title, terms=terms, consent_text=consent_text, actor=actor)
    audit_record(
        actor=actor.user or actor.label, action="contracts.terms_published", tenant=connection.tenant,
        data={"version": template.version},
    )  # fmt: skip
    return template
