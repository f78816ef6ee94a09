"""Messages to a contract's customer, by SMS and/or email as the customer prefers.

Every feature that tells the customer something (the link, a reminder, a milestone, the review
request) goes through `customer_notify`, so the preference, the tenant's branding and the delivery
record are the same everywhere. Text comes from `contracts/<name>.txt` templates: `sms/contracts/`
for the SMS, `emails/contracts/<name>.txt` + `.html` for the email.
"""

from __future__ import annotations

import logging

from django.db import connection

from contracts.models import Contract
from tenants.messaging import SmsDeliveryError, render_text, sms_send, tenant_email_send
from tenants.models import OutboundMessage

logger = logging.getLogger(__name__)

SMS_CHANNELS = {Contract.ContactPreference.SMS, Contract.ContactPreference.BOTH}
EMAIL_CHANNELS = {Contract.ContactPreference.EMAIL, Contract.ContactPreference.BOTH}
REF_PREFIX = "contract:"


def contract_ref(contract: Contract) -> str:
    """The OutboundMessage.ref of a message about `contract` (with the message's tenant, it names
    the contract), so a delivery report can be added to the contract's audit trail."""
    return f"{REF_PREFIX}{contract.pk}"


def customer_notify(*, contract: Contract, name: str, context: dict, secret: str = "") -> dict[str, str]:
    """Tell the customer of `contract` something, using template `name`. Returns what happened per
    channel ("sent", "failed", "skipped"). `secret` (a link token) is blanked from kept SMS copies.

    Runs in the tenant's schema (a request or a tenant task).
    """
    tenant = connection.tenant
    context = {"contract": contract, "brand": tenant.config.brand_name, **context}
    outcome = {"sms": "skipped", "email": "skipped"}
    if contract.customer_phone and contract.contact_preference in SMS_CHANNELS:
        body = render_text(f"sms/contracts/{name}.txt", context).strip()
        try:
            record = sms_send(
                to=contract.customer_phone,
                body=body,
                tenant=tenant,
                secret=secret,
                ref=contract_ref(contract),
            )
            outcome["sms"] = "skipped" if record.status == OutboundMessage.Status.SKIPPED else "sent"
        except SmsDeliveryError:
            outcome["sms"] = "failed"
    if contract.customer_email and contract.contact_preference in EMAIL_CHANNELS:
        tenant_email_send(
            tenant=tenant,
            to=contract.customer_email,
            template=f"emails/contracts/{name}",
            context=context,
            ref=contract_ref(contract),
        )
        outcome["email"] = "sent"
    return outcome
