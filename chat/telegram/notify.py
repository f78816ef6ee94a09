"""Owner notifications in Telegram for new leads, signed contracts and chat hand-overs.

`event_notify` runs (task chat.tasks.telegram_event_notify, queued by the event relay) in the schema
of the event's tenant. Each linked chat of the tenant's owners whose preference for the event's kind
is on gets one short message. Never twice for one event and chat: the event row is locked while the
messages are sent, and each message's record carries `event:<id>` as its ref, so a redelivered task
(or a second relay) finds them and sends nothing again; a send that failed may be tried again.
"""

from __future__ import annotations

from django.db import connection, transaction

from billing.plans import plan_allows
from chat.models import Conversation, DomainEvent
from chat.telegram.format import esc
from chat.telegram.send import owner_links, telegram_send
from contracts.models import Contract
from marketing.models import Lead
from tenants.models import OutboundMessage, Tenant
from tenants.selectors import tenant_url

PREFERENCES = {
    "lead.created": "notify_leads",
    "contract.signed": "notify_contracts",
    "chat.handover": "notify_handovers",
}


def _id(data: dict, *names: str) -> int | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _lead_text(tenant: Tenant, data: dict) -> str:
    lead = Lead.objects.filter(pk=_id(data, "lead", "lead_id", "id")).first()
    if lead is None:
        return f"🆕 New lead: <b>{esc(data.get('name') or 'someone')}</b>"
    text = f"🆕 New lead: <b>{esc(lead.name)}</b> ({esc(lead.get_source_display())})"
    if lead.origin or lead.destination:
        text += f"\n{esc(lead.origin or '?')} → {esc(lead.destination or '?')}"
    return text + f"\n{esc(tenant_url(tenant, f'/leads/{lead.pk}/'))}"


def _contract_text(tenant: Tenant, data: dict) -> str:
    contract = Contract.objects.filter(pk=_id(data, "contract", "contract_id", "id")).first()
    if contract is None:
        reference = data.get("reference")
        return f"✍️ Contract <b>{esc(reference)}</b> was signed." if reference else "✍️ A contract was signed."
    return (
        f"✍️ Contract <b>{esc(contract.reference)}</b> signed by <b>{esc(contract.customer_name)}</b>\n"
        f"{esc(contract.origin)} → {esc(contract.destination)}\n"
        f"{esc(tenant_url(tenant, f'/contracts/{contract.pk}/'))}"
    )


def _handover_text(tenant: Tenant, data: dict) -> str:
    conversation = Conversation.objects.filter(pk=_id(data, "conversation", "conversation_id", "id")).first()
    if conversation is None:
        return "💬 A chat visitor is waiting for you."
    text = "💬 A chat visitor is waiting for you"
    if conversation.handover_reason:
        text += f": {esc(conversation.handover_reason)}"
    return text + f"\n{esc(tenant_url(tenant, f'/chat/inbox/{conversation.pk}/'))}"


TEXTS = {"lead.created": _lead_text, "contract.signed": _contract_text, "chat.handover": _handover_text}


def event_notify(*, event_id: int) -> int:
    """Tell the linked chats of this schema's tenant about event `event_id`, per their preferences.
    Returns how many chats were messaged now (0 for other kinds, or when all were told already)."""
    tenant = Tenant.objects.select_related("config").get(schema_name=connection.schema_name)
    if not (tenant.config.feature_agents and plan_allows(tenant=tenant, feature="agents")):
        return 0
    with transaction.atomic():
        event = DomainEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.type not in PREFERENCES:
            return 0
        links = list(owner_links(tenant=tenant).filter(**{PREFERENCES[event.type]: True}))
        if not links:
            return 0
        ref = f"event:{event.pk}"
        told = set(
            OutboundMessage.objects.filter(
                channel=OutboundMessage.Channel.TELEGRAM,
                tenant=tenant,
                to__in=[str(link.chat_id) for link in links],
                ref=ref,
            )
            .exclude(status=OutboundMessage.Status.FAILED)
            .values_list("to", flat=True)
        )
        waiting = [link for link in links if str(link.chat_id) not in told]
        if not waiting:
            return 0
        text = TEXTS[event.type](tenant, event.data if isinstance(event.data, dict) else {})
        for link in waiting:
            telegram_send(tenant=tenant, chat_id=link.chat_id, text=text, ref=ref)
    return len(waiting)
