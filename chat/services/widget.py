"""The visitor's side of a conversation: who they are (a signed, host-only cookie holding a random id),
starting a conversation within the tenant's daily allowance, and adding messages.

The cookie is signed with a salt naming the tenant's schema, so a cookie made on one tenant's host
means nothing on another's even if a browser were made to send it there; and the conversation it
points to lives in that tenant's schema anyway.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from chat.models import Conversation, Message
from inkwell.errors import DomainError, RateLimited
from inkwell.ratelimit import address_bucket, rate_limit
from marketing.metrics import Period, local_bounds

# A visitor's conversation stays theirs for this long after their last message (the cookie is
# renewed with every message they send).
VISITOR_COOKIE_AGE = int(timedelta(days=30).total_seconds())
MAX_PAGE = 200

TOO_FAST = "You're sending messages faster than we can read them. Please wait a minute and try again."


class ChatErrorCode:
    EMPTY = "message_empty"
    TOO_LONG = "message_too_long"
    BAD_REQUEST = "bad_request"
    RATE_LIMITED = "rate_limited"
    BUSY_TODAY = "chat_busy_today"


def visitor_cookie_name() -> str:
    # The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and Path=/.
    return "__Host-chat" if settings.SECURE else "inkwell_chat"


def _salt(tenant) -> str:
    return f"chat.visitor:{tenant.schema_name}"


def visitor_cookie_value(*, tenant, visitor: uuid.UUID) -> str:
    return signing.dumps(str(visitor), salt=_salt(tenant), compress=False)


def visitor_from_cookie(*, tenant, value: str | None) -> uuid.UUID | None:
    """The visitor id in `value` when it is a cookie this tenant signed (and not too old), else None."""
    if not value:
        return None
    try:
        return uuid.UUID(signing.loads(value, salt=_salt(tenant), max_age=VISITOR_COOKIE_AGE))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def conversation_of_visitor(*, visitor: uuid.UUID | None) -> Conversation | None:
    if visitor is None:
        return None
    return Conversation.objects.filter(visitor=visitor).order_by("-started", "-pk").first()


def message_text_clean(text) -> str:
    """The visitor's text as stored, or a DomainError (400) saying what is wrong with it."""
    if not isinstance(text, str):
        raise DomainError("Type a message first.", code=ChatErrorCode.EMPTY)
    text = text.replace("\x00", "").strip()  # PostgreSQL text can't hold NUL
    if not text:
        raise DomainError("Type a message first.", code=ChatErrorCode.EMPTY)
    limit = settings.CHAT_MAX_MESSAGE
    if len(text) > limit:
        raise DomainError(
            f"That message is too long: keep it under {limit} characters.", code=ChatErrorCode.TOO_LONG
        )
    return text


def visitor_rate_limit(*, tenant, ip: str | None, conversation: Conversation | None) -> None:
    """Refuse (RateLimited) a message over the per-IP or per-conversation allowance. Counted per
    tenant, so one busy site doesn't use up a visitor's allowance on another."""
    if ip:
        limit, window = settings.CHAT_RATE_PER_IP
        key = f"{tenant.schema_name}:{address_bucket(ip)}"
        rate_limit(scope="chat-ip", key=key, limit=limit, window=window, message=TOO_FAST)
    if conversation is not None:
        limit, window = settings.CHAT_RATE_PER_CONVERSATION
        key = f"{tenant.schema_name}:{conversation.pk}"
        rate_limit(scope="chat-conversation", key=key, limit=limit, window=window, message=TOO_FAST)


def page_clean(page) -> str:
    """The page a visitor chats from, as kept: one line (control characters and line separators become
    spaces: it becomes a lead's landing page, which refuses them), at most MAX_PAGE characters."""
    if not isinstance(page, str):
        return ""
    one_line = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in page)
    return one_line[:MAX_PAGE].strip()


def _busy_message(tenant) -> str:
    from tenants.templatetags.phones import phone

    number = tenant.config.business_phone
    reach = f"please call us at {phone(number)}" if number else "please use the quote form on this page"
    return f"We're having a lot of chats today and can't start a new one right now — {reach}."


@transaction.atomic
@transaction.atomic
def conversation_start(*, tenant, visitor: uuid.UUID, page: str = "") -> Conversation:
    """A new conversation for `visitor`, unless the tenant has had CHAT_CONVERSATIONS_PER_DAY already
    today (its local day): then RateLimited, with a line offering the business's phone number."""
    today = timezone.localdate(timezone=ZoneInfo(tenant.config.timezone))
    start, next_start = local_bounds(tenant, Period(today, today))
    # Starts are taken one at a time per tenant (until the caller's transaction ends), so two visitors
    # arriving together can't both take the last place of the day.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':chat-start'))")
    # A conversation started today has had its last message today too: that column is indexed.
    today = Conversation.objects.filter(last_message_at__gte=start, started__gte=start)
    if today.count() >= settings.CHAT_CONVERSATIONS_PER_DAY:
        retry = max(60, int((next_start - timezone.now()).total_seconds()))
        error = RateLimited(_busy_message(tenant), retry_after=retry)
        error.code = ChatErrorCode.BUSY_TODAY
        raise error
    return Conversation.objects.create(visitor=visitor, last_message_at=timezone.now(), page=page_clean(page))


@transaction.atomic
def conversation_message_add(
    *, conversation: Conversation, role: str, origin: str, text: str, sources=(), **changes
) -> Message:
    """Add a message and move the conversation's `last_message_at` to it (never backwards), with any
    other conversation `changes` (e.g. awaiting=...) in the same transaction."""
    message = Message.objects.create(
        conversation=conversation, role=role, origin=origin, text=text[:4000], sources=list(sources)
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=Greatest(F("last_message_at"), Value(message.created)), **changes
    )
    conversation.last_message_at = max(conversation.last_message_at, message.created)
    for name, value in changes.items():
        setattr(conversation, name, value)
    return message


def visitor_message_add(*, conversation: Conversation, text: str) -> Message:
    """The visitor's message, committed on its own before anything answers it, so it is kept
    whatever happens to the answer."""
    return conversation_message_add(
        conversation=conversation, role=Message.Role.VISITOR, origin=Message.Origin.VISITOR, text=text
    )
