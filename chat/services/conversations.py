"""What happens to a conversation besides its messages: the lead it produces and the hand-over to the
owner. Used by the retrieval flow and by the model's tools alike, so both behave the same."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from chat.models import Conversation
from chat.services.events import event_emit
from chat.services.widget import page_clean
from contracts.services.events import Actor
from inkwell.queue import enqueue_on_commit
from inkwell.ratelimit import address_bucket, rate_limit
from marketing.models import Lead
from marketing.services.leads import lead_create

CHAT_ACTOR = Actor(type="system", label="chat assistant")
LEADS_LIMITED = "We already have several requests from your network. Please call us, or try again in an hour."


@transaction.atomic
def conversation_capture_lead(
    *,
    conversation: Conversation,
    name: str = "",
    phone: str = "",
    email: str = "",
    details: str = "",
    ip: str | None = None,
) -> Lead:
    """A lead (source chat) for the visitor of `conversation`, made through the leads service (so it
    is deduplicated and the owner is told), and linked to the conversation. Raises ValidationError
    (no phone or email, a bad number) with the leads service's messages, and RateLimited when the
    visitor's address `ip` has made CHAT_LEADS_PER_IP leads for this business already."""
    if ip:
        limit, window = settings.CHAT_LEADS_PER_IP
        key = f"{connection.schema_name}:{address_bucket(ip)}"
        rate_limit(scope="chat-lead", key=key, limit=limit, window=window, message=LEADS_LIMITED)
    data = {
        "name": (name or "").strip()[:150] or "Chat visitor",
        "phone": phone or "",
        "email": email or "",
        "message": (details or "").strip()[:2000],
        "source": Lead.Source.CHAT,
        "landing_page": page_clean(conversation.page),  # kept before pages were cleaned, too
    }
    lead, _created = lead_create(data=data, actor=CHAT_ACTOR)
    Conversation.objects.filter(pk=conversation.pk).update(lead=lead, awaiting="")
    conversation.lead, conversation.awaiting = lead, ""
    return lead


@transaction.atomic
def conversation_handover(*, conversation: Conversation, reason: str) -> bool:
    """Flag `conversation` for the owner. The owner is texted once per hand-over (not again while it
    still waits for their reply). Returns whether this call flagged it."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.needs_reply:
        return False
    locked.needs_reply = True
    locked.handover_reason = (reason or "").strip()[:300]
    locked.save(update_fields=["needs_reply", "handover_reason"])
    conversation.needs_reply, conversation.handover_reason = True, locked.handover_reason
    from chat import tasks

    enqueue_on_commit(tasks.conversation_handover_notify, conversation_id=locked.pk)
    event_emit(
        type="chat.handover",
        data={"conversation": locked.pk, "lead": locked.lead_id},
        actor_label=CHAT_ACTOR.label,
    )
    return True
