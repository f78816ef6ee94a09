"""The agent bus: messages between one business's agents and its owner.

A message is written to the outbox (chat.BusMessage) in the sender's transaction, then relayed by a
task to each recipient's Redis Stream (EVENTS_KEY_PREFIX:bus:<schema>:<agent id>), which the agent
reads with a cursor (read_inbox). As with domain events (chat.services.events), a Lua script appends
and sets a per-(message, stream) marker at once, so a relay run again never appends twice, and a
message sent while Redis is down waits in the outbox for the next relay. Streams are trimmed by age
(BUS_RETENTION_DAYS). The sender is whoever the service is told by its caller (the MCP tool passes
the calling token's agent, the dashboard the signed-in owner), never a field of the message.
"""

from __future__ import annotations

import json
import logging
import time

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from chat.models import BUS_TEXT_MAX, Agent, BusMessage
from chat.selectors_events import cursor_parts
from chat.services.events import events_redis, stream_append_once
from inkwell.errors import DomainError, ServiceUnavailable
from inkwell.queue import enqueue_on_commit
from inkwell.ratelimit import rate_limit

logger = logging.getLogger(__name__)

INBOX_MAX_LIMIT = 100


def inbox_key(agent_id: int, schema: str | None = None) -> str:
    return f"{settings.EVENTS_KEY_PREFIX}:bus:{schema or connection.schema_name}:{agent_id}"


def bus_recipient(*, name: str) -> Agent:
    agent = Agent.objects.filter(name=name).first()
    if agent is None:
        raise DomainError(f"No agent of this business is called {name!r}.", code="bus_unknown_recipient")
    return agent


def bus_send(
    *,
    sender: Agent | None,
    sender_label: str,
    to: Agent | None,
    text: str,
    reply_to: int | None = None,
    owner_id: int | None = None,
) -> BusMessage:
    """Put a message on the bus from `sender` (None: the owner whose user id is `owner_id`, named by
    `sender_label`) to `to` (None: every agent alive now but the sender). An agent, and an owner,
    may send BUS_RATE_PER_MINUTE a minute in this business; past that, RateLimited and nothing is
    written."""
    from chat.tasks import bus_relay

    text = (text or "").strip()
    if not text:
        raise DomainError("Write a message.", code="bus_text_required")
    if len(text) > BUS_TEXT_MAX:
        raise DomainError(
            f"A message holds at most {BUS_TEXT_MAX} characters (this has {len(text)}).",
            code="bus_text_too_long",
        )
    # Agent ids are per schema: the schema is part of the key, or two businesses would share one.
    if sender is not None:
        who, key = "An agent", f"{connection.schema_name}:agent:{sender.pk}"
    elif owner_id is not None:
        who, key = "You", f"{connection.schema_name}:user:{owner_id}"
    else:
        who = key = None
    if key is not None:
        rate_limit(
            scope="agent-bus",
            key=key,
            limit=settings.BUS_RATE_PER_MINUTE,
            window=60,
            message=f"{who} may send {settings.BUS_RATE_PER_MINUTE} messages a minute; wait a little.",
        )
    if reply_to is not None and not BusMessage.objects.filter(pk=reply_to).exists():
        raise DomainError("No message has that id.", code="bus_message_not_found")
    with transaction.atomic():
        message = BusMessage.objects.create(
            sender=sender,
            sender_label=sender_label[:200],
            recipient=to,
            recipient_ids=_recipients(sender=sender, to=to),
            text=text,
            reply_to_id=reply_to,
        )
        enqueue_on_commit(bus_relay)  # and the periodic relay catches what a down queue or Redis left
    return message


def _wire(message: BusMessage) -> str:
    return json.dumps(
        {
            "id": message.pk,
            "from": message.sender.name if message.sender else "owner",
            "sender_label": message.sender_label,
            "to": message.recipient.name if message.recipient else None,
            "text": message.text,
            "reply_to": message.reply_to_id,
            "created": message.created.isoformat(),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def _recipients(*, sender: Agent | None, to: Agent | None) -> list[int]:
    """Who a message reaches, fixed as it is sent: `to`, or every agent alive now but the sender."""
    if to is not None:
        return [to.pk]
    agents = Agent.objects.exclude(state=Agent.State.DEAD)
    if sender is not None:
        agents = agents.exclude(pk=sender.pk)
    return sorted(agents.values_list("pk", flat=True))


def bus_relay(*, limit: int = 500) -> int:
    """Append this schema's unrelayed messages to their recipients' streams, oldest first. Stops at
    the first Redis error (the rest wait for the next run). Returns how many messages were relayed."""
    if connection.schema_name == get_public_schema_name():
        return 0
    client = events_redis()
    min_id = int((time.time() - settings.BUS_RETENTION_DAYS * 86400) * 1000)
    relayed = 0
    with transaction.atomic():
        pending = (
            BusMessage.objects.filter(relayed_at__isnull=True)
            .select_related("sender", "recipient")
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        for message in pending:
            created = int(message.created.timestamp() * 1_000_000)
            try:
                for agent_id in message.recipient_ids:
                    key = inbox_key(agent_id)
                    stream_append_once(
                        client,
                        key=key,
                        marker=f"{key}:relayed:{message.pk}:{created}",
                        trim="MINID",
                        threshold=min_id,
                        field="message",
                        payload=_wire(message),
                    )
            except redis.RedisError as exc:
                logger.warning("Bus relay stopped at message %s: %s", message.pk, exc)
                return relayed
            BusMessage.objects.filter(pk=message.pk).update(relayed_at=timezone.now())
            relayed += 1
    return relayed


def inbox_read(*, agent: Agent, cursor: str | None, limit: int = INBOX_MAX_LIMIT) -> tuple[list[dict], str]:
    """The messages on `agent`'s stream after `cursor`, oldest first, and the cursor to pass next.
    The cursor is checked as strictly as the event stream's (chat.selectors_events): malformed, or
    ahead of the inbox's newest message (of an empty inbox: ahead of Redis' clock, which the ids
    come from) → DomainError("invalid_cursor"), as it could never see anything."""
    given = cursor_parts(cursor) if cursor is not None else None
    key = inbox_key(agent.pk)
    try:
        pipe = events_redis().pipeline(transaction=False)
        pipe.xrange(key, min=f"({cursor}" if cursor else "-", count=limit)
        pipe.xrevrange(key, count=1)
        pipe.time()
        rows, newest, (seconds, micros) = pipe.execute()
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            "The bus can't be read just now; try again in a minute.", code="bus_unavailable"
        ) from exc
    if given is not None:
        ahead = given > cursor_parts(newest[0][0]) if newest else given[0] > seconds * 1000 + micros // 1000
        if ahead:
            raise DomainError("That cursor is not one read_inbox gave.", code="invalid_cursor")
    messages = [json.loads(fields["message"]) | {"cursor": stream_id} for stream_id, fields in rows]
    return messages, (rows[-1][0] if rows else cursor or "0-0")
