"""Sending Telegram messages through the configured backend (TELEGRAM_BACKEND: `api` | `outbox`).

Every Bot API call the bot makes (sendMessage, editMessageText, answerCallbackQuery) is recorded as
a tenants.OutboundMessage (channel telegram), whatever the backend: `outbox` stores it (status
"stored") and prints it, which is all development and the tests need; `api` posts it to
https://api.telegram.org/bot<token>/<method> with httpx and records "sent" (with Telegram's message
id) or "failed" (with Telegram's description, or the network error, the token blanked out). A
failed call never raises: the bot's reply is not worth a redelivered webhook, and the record says
what happened.

Texts are Telegram HTML (see chat.telegram.format): callers escape what people and agents wrote.
"""

from __future__ import annotations

import logging
import sys

import httpx
from django.conf import settings
from redis.exceptions import RedisError

from chat.telegram.format import esc, split
from inkwell.errors import DomainError, RateLimited, ServiceUnavailable
from inkwell.ratelimit import counter_hit
from tenants.models import Membership, OutboundMessage, TelegramLink, Tenant
from tenants.services.agent_tokens import AgentIdentity

logger = logging.getLogger(__name__)

API_URL = "https://api.telegram.org/bot{token}/{method}"
BACKENDS = ("api", "outbox")


class TelegramError(Exception):
    """The Bot API refused the call or could not be reached."""


def _redact(text: str) -> str:
    token = settings.TELEGRAM_BOT_TOKEN
    return text.replace(token, "[redacted]") if token else text


def bot_api(method: str, payload: dict) -> dict | bool:
    """Call Bot API `method` with `payload` and return its `result`. Raises TelegramError."""
    url = API_URL.format(token=settings.TELEGRAM_BOT_TOKEN, method=method)
    try:
        response = httpx.post(url, json=payload, timeout=settings.TELEGRAM_API_TIMEOUT)
    except httpx.HTTPError as exc:
        raise TelegramError(_redact(f"{type(exc).__name__}: {exc}")) from None
    try:
        body = response.json()
    except ValueError:
        raise TelegramError(f"HTTP {response.status_code} without a JSON body") from None
    if not isinstance(body, dict) or not body.get("ok"):
        description = body.get("description", "") if isinstance(body, dict) else ""
        code = (
            body.get("error_code", response.status_code) if isinstance(body, dict) else response.status_code
        )
        raise TelegramError(_redact(f"{code}: {description}".strip()))
    return body.get("result")


def _call(
    *, tenant: Tenant | None, chat_id: int | str, method: str, payload: dict, text: str, ref: str
) -> OutboundMessage:
    """Make one Bot API call through the backend and record it."""
    backend = settings.TELEGRAM_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"Unknown TELEGRAM_BACKEND {backend!r}: use 'api' or 'outbox'.")
    headers = {"method": method}
    if payload.get("reply_markup"):
        headers["reply_markup"] = payload["reply_markup"]
    if payload.get("message_id"):
        headers["message_id"] = payload["message_id"]
    record = OutboundMessage(
        channel=OutboundMessage.Channel.TELEGRAM,
        tenant=tenant,
        to=str(chat_id),
        body=text,
        headers=headers,
        backend=backend,
        ref=ref[:64],
    )
    if backend == "outbox":
        record.status = OutboundMessage.Status.STORED
        record.save()
        print(f"[outbox] Telegram {method} to {chat_id}: {text}", file=sys.stderr, flush=True)
        return record
    record.attempts = 1
    try:
        result = bot_api(method, payload)
    except TelegramError as exc:
        record.status = OutboundMessage.Status.FAILED
        record.error = str(exc)
        logger.warning("Telegram %s to %s failed: %s", method, chat_id, exc)
    else:
        record.status = OutboundMessage.Status.SENT
        if isinstance(result, dict) and result.get("message_id"):
            record.provider_id = str(result["message_id"])
    record.save()
    return record


def telegram_send(
    *, tenant: Tenant | None, chat_id: int, text: str, reply_markup: dict | None = None, ref: str = ""
) -> OutboundMessage:
    """Send `text` (Telegram HTML, already escaped) to `chat_id`. A text over Telegram's 4,096
    characters goes as several messages (trimmed, with a note, past a few), `reply_markup` (inline
    buttons) on the last. Returns the record of the last message."""
    record = None
    parts = split(text)
    for index, part in enumerate(parts):
        payload = {
            "chat_id": chat_id,
            "text": part,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": True},
        }
        if reply_markup and index == len(parts) - 1:
            payload["reply_markup"] = reply_markup
        record = _call(
            tenant=tenant, chat_id=chat_id, method="sendMessage", payload=payload, text=part, ref=ref
        )
    return record


def telegram_edit(
    *, tenant: Tenant | None, chat_id: int, message_id: int, text: str, ref: str = ""
) -> OutboundMessage:
    """Replace the text of the bot's message `message_id` (and drop its buttons)."""
    text = split(text, max_parts=1)[0]
    payload = {"chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": "HTML"}
    return _call(
        tenant=tenant, chat_id=chat_id, method="editMessageText", payload=payload, text=text, ref=ref
    )


def telegram_callback_answer(
    *, tenant: Tenant | None, chat_id: int, callback_query_id: str, text: str, ref: str = ""
) -> OutboundMessage:
    """Answer a button press (Telegram shows `text`, plain, as a short notice; at most 200 characters)."""
    text = text[:200]
    payload = {"callback_query_id": callback_query_id, "text": text}
    return _call(
        tenant=tenant, chat_id=chat_id, method="answerCallbackQuery", payload=payload, text=text, ref=ref
    )


def owner_links(*, tenant: Tenant):
    """The tenant's linked chats whose person is still one of its owners (and not deactivated)."""
    owners = Membership.objects.filter(
        tenant=tenant, role=Membership.Role.OWNER, user__is_active=True
    ).values("user_id")
    return TelegramLink.objects.filter(tenant=tenant, user_id__in=owners).order_by("pk")


def telegram_owner_message(*, tenant: Tenant, text: str, agent: AgentIdentity) -> int:
    """An agent's message to the owner(s) of `tenant` with a linked chat; returns how many chats got it.

    Raises DomainError("telegram_not_linked") when no owner has linked a chat, RateLimited past
    TELEGRAM_AGENT_MESSAGES_PER_HOUR messages of this agent in the hour, and ServiceUnavailable when
    Telegram took none of them. The agent's name and text are shown as written (escaped)."""
    text = (text or "").strip()
    if not text:
        raise DomainError("The message is empty.", code="telegram_empty")
    links = list(owner_links(tenant=tenant))
    if not links:
        raise DomainError("No owner of this business has linked Telegram yet.", code="telegram_not_linked")
    try:
        sent = counter_hit(scope="telegram-agent", key=f"{tenant.pk}:{agent.token_id}", window=3600)
    except RedisError:
        sent = 0  # the limit can't be counted: deliver rather than lose an agent's message
    if sent > settings.TELEGRAM_AGENT_MESSAGES_PER_HOUR:
        raise RateLimited(
            f"{agent.name} has sent the owner {settings.TELEGRAM_AGENT_MESSAGES_PER_HOUR} Telegram "
            "messages this hour; try again later.",
            retry_after=3600,
        )
    body = f"🤖 <b>{esc(agent.name)}</b>:\n{esc(text)}"
    records = [
        telegram_send(tenant=tenant, chat_id=link.chat_id, text=body, ref=f"agent:{agent.token_id}")
        for link in links
    ]
    delivered = sum(1 for record in records if record.status != OutboundMessage.Status.FAILED)
    if not delivered:
        raise ServiceUnavailable(
            "Telegram could not be reached; try again later.", code="telegram_unavailable"
        )
    return delivered
