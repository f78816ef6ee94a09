"""Reads for the owner's inbox of chat conversations: the list (a constant number of queries whatever
the volume: the first visitor line and the message count are subqueries, the lead is joined), one
conversation's transcript with the memory entries its answers cite, the needs-reply count of the
navigation (kept in the cache, see conversation_needs_reply_count_cached), and the model's token use
this month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from redis.exceptions import RedisError

from chat.models import Conversation, LlmUsage, MemoryEntry, Message


class Show:
    """The list's filters (the `show` URL parameter)."""

    ALL = ""
    UNREAD = "unread"
    NEEDS_REPLY = "needs-reply"
    CHOICES = [(ALL, "All"), (UNREAD, "Unread"), (NEEDS_REPLY, "Needs reply")]
    VALUES = {value for value, _ in CHOICES}


UNREAD = Q(owner_read_at__isnull=True) | Q(last_message_at__gt=F("owner_read_at"))


def conversation_list(*, show: str = Show.ALL) -> QuerySet[Conversation]:
    """Conversations newest first (by last message), each with `first_line` (the visitor's first
    message, cut short), `message_count` and its lead. `show` is one of Show's values."""
    first = Message.objects.filter(conversation=OuterRef("pk"), role=Message.Role.VISITOR).order_by(
        "created", "pk"
    )
    count = (
        Message.objects.filter(conversation=OuterRef("pk"))
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    conversations = Conversation.objects.select_related("lead").annotate(
        first_line=Subquery(first.values("text")[:1]),
        message_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
    )
    if show == Show.UNREAD:
        conversations = conversations.filter(UNREAD)
    elif show == Show.NEEDS_REPLY:
        conversations = conversations.filter(needs_reply=True)
    return conversations.order_by("-last_message_at", "-pk")


def conversation_needs_reply_count() -> int:
    """How many conversations wait for the owner: one COUNT over the needs_reply index."""
    return Conversation.objects.filter(needs_reply=True).count()


def needs_reply_count_key(schema: str) -> str:
    return f"chat:inbox-waiting:{schema}"


def conversation_needs_reply_count_cached() -> int | None:
    """The navigation's count, as chat.services.inbox.inbox_count_refresh last stored it (after each
    hand-over's notification, each reply, each look at the inbox): no SQL, so the navigation costs no
    page a query. None when it isn't known (Redis emptied or unreachable): the link shows no count."""
    try:
        return cache.get(needs_reply_count_key(connection.schema_name))
    except RedisError:
        return None


@dataclass(frozen=True)
class Cited:
    """A memory entry an answer was built from, as the transcript names it."""

    id: int
    title: str


def conversation_transcript(*, pk: int) -> tuple[Conversation, list[Message]]:
    """Conversation `pk` of this tenant (404 otherwise) with its lead, and its messages in order, each
    with `cited`: the memory entries it drew on that still exist (three queries in all)."""
    conversation = get_object_or_404(Conversation.objects.select_related("lead"), pk=pk)
    messages = list(conversation.messages.order_by("created", "pk"))
    ids = {source for message in messages for source in message.sources}
    entries = {}
    if ids:
        for entry in MemoryEntry.objects.filter(pk__in=ids).only("pk", "title", "text"):
            entries[entry.pk] = Cited(entry.pk, entry.title or _shorten(entry.text, 80))
    for message in messages:
        message.cited = [entries[source] for source in message.sources if source in entries]
    return conversation, messages


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    calls: int

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def llm_usage_this_month(*, tz_name: str, now: datetime | None = None) -> Usage:
    """The model's calls since the start of this month on the tenant's clock (one query)."""
    local = timezone.localtime(now or timezone.now(), ZoneInfo(tz_name))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    totals = LlmUsage.objects.filter(created__gte=start).aggregate(
        input_tokens=Coalesce(Sum("input_tokens"), 0),
        output_tokens=Coalesce(Sum("output_tokens"), 0),
        cost_usd=Coalesce(Sum("cost_usd"), Decimal(0)),
        calls=Count("pk"),
    )
    return Usage(**totals)
