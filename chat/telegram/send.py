"""Sending Telegram messages through the configured backend (TELEGRAM_BACKEND: `api` | `outbox`).

Every message is recorded as a tenants.OutboundMessage (channel telegram), whatever the backend.
"""

from __future__ import annotations

from django.conf import settings

from inkwell.errors import DomainError
from tenants.models import OutboundMessage, TelegramLink, Tenant
from tenants.services.agent_tokens import AgentIdentity


def telegram_send(
    *, tenant: Tenant | None, chat_id: int, text: str, reply_markup: dict | None = None, ref: str = ""
) -> OutboundMessage:
    """Send `text` to `chat_id` (the outbox backend stores it only). SKELETON: the Telegram work
    replaces this with the real backends, Markdown escaping and the 4,096-character limit."""
    return OutboundMessage.objects.create(
        channel=OutboundMessage.Channel.TELEGRAM,
        tenant=tenant,
        to=str(chat_id),
        body=text,
        headers={"reply_markup": reply_markup} if reply_markup else {},
        backend=settings.TELEGRAM_BACKEND,
        status=OutboundMessage.Status.STORED,
        ref=ref,
    )


def telegram_owner_message(*, tenant: Tenant, text: str, agent: AgentIdentity) -> int:
    """An agent's message to the owner(s) of `tenant` with a linked chat; returns how many chats got it.
    Raises DomainError("telegram_not_linked") when no owner has linked a chat."""
    links = list(TelegramLink.objects.filter(tenant=tenant))
    if not links:
        raise DomainError("No owner of this business has linked Telegram yet.", code="telegram_not_linked")
    for link in links:
        telegram_send(
            tenant=tenant, chat_id=link.chat_id, text=f"{agent.name}: {text}", ref=f"agent:{agent.token_id}"
        )
    return len(links)
