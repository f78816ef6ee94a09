"""Telling the business's owner(s) about a new lead, by SMS and email, once."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from marketing.models import Lead
from tenants.messaging import SmsDeliveryError, render_text, sms_send, tenant_email_send
from tenants.models import Membership
from tenants.selectors import tenant_url

logger = logging.getLogger(__name__)


@transaction.atomic
def lead_owner_notify(*, lead_id: int) -> bool:
    """Text and email each owner of the current tenant about lead `lead_id`. Safe to run twice:
    the lead row is locked and marked, so a redelivered task sends nothing. Returns whether it sent."""
    lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None or lead.owner_notified_at is not None:
        return False
    tenant = connection.tenant
    owners = Membership.objects.filter(tenant=tenant, role=Membership.Role.OWNER).select_related("user")
    context = {
        "lead": lead,
        "brand": tenant.config.brand_name,
        "url": tenant_url(tenant, f"/leads/{lead.pk}/"),
    }
    ref = f"lead:{lead.pk}"
    for membership in owners:
        owner = membership.user
        if owner.phone:
            try:
                sms_send(
                    to=owner.phone,
                    body=render_text("sms/leads/new.txt", context).strip(),
                    tenant=tenant,
                    ref=ref,
                )
            except SmsDeliveryError:
                logger.warning("New-lead SMS to the owner of %s failed", tenant.schema_name)
        if owner.email:
            tenant_email_send(
                tenant=tenant, to=owner.email, template="emails/leads/new", context=context, ref=ref
            )
    lead.owner_notified_at = timezone.now()
    lead.save(update_fields=["owner_notified_at"])
    return True
