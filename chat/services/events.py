"""Domain events: written to the outbox (chat.DomainEvent) inside the change's own transaction,
then relayed by a task to the tenant's Redis Stream, which readers follow with a cursor.

Exactly once onto the stream: the relay appends with a Lua script that also sets a per-event
marker, so a relay that dies between appending and stamping the row (and is run again) finds the
marker and does not append twice. Stream ids are given by Redis at append time, so an event that
committed late (a lower row id relayed after a higher one) still lands after the reader's cursor.
"""

from __future__ import annotations

import json
import logging

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat.models import DomainEvent

logger = logging.getLogger(__name__)

EVENT_TYPES = frozenset(
    {
        "lead.created",
        "contract.signed",
        "contract.milestone",
        "approval.requested",
        "chat.handover",
        "ingestion.finished",
    }
)
# Events a linked Telegram chat is told about (per the owner's preferences), once relayed.
NOTIFY_TYPES = frozenset({"lead.created", "contract.signed", "chat.handover"})
MARKER_TTL = 7 * 24 * 3600  # longer than any outage the periodic relay would still be catching up on

_APPEND = """
local done = redis.call('GET', KEYS[2])
if done then return done end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[3])
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return id
"""


def events_redis() -> redis.Redis:
    """The Redis holding the event streams; short time-outs, so a dead Redis fails fast."""
    return redis.Redis.from_url(
        settings.EVENTS_REDIS_URL, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
    )


def stream_key(schema: str | None = None) -> str:
    return f"{settings.EVENTS_KEY_PREFIX}:{schema or connection.schema_name}"


def event_emit(*, type: str, data: dict, actor_label: str = "") -> DomainEvent:
    """Record that `type` happened, in the caller's transaction (call it beside the write).

    `data` names the objects (ids, a title, a status), never secrets. The relay is queued for after
    the commit; if the queue or Redis is down the periodic relay delivers it later.
    """
    from chat.tasks import events_relay
    from inkwell.queue import enqueue_on_commit

    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    event = DomainEvent.objects.create(type=type, data=data, actor_label=actor_label[:200])
    enqueue_on_commit(events_relay)
    return event


def _wire(event: DomainEvent) -> str:
    return json.dumps(
        {
            "id": event.pk,
            "type": event.type,
            "data": event.data,
            "actor": event.actor_label,
            "created": event.created.isoformat(),
        },
        separators=(",", ":"),
        default=str,
    )


def events_relay(*, limit: int = 500) -> int:
    """Append the current schema's unrelayed events to its stream, oldest first. Returns how many.

    Stops at the first Redis error, leaving the rest for the next run; concurrent relays skip each
    other's rows (SKIP LOCKED) instead of waiting.
    """
    from chat.tasks import telegram_event_notify
    from inkwell.queue import enqueue_on_commit

    client = events_redis()
    append = client.register_script(_APPEND)
    key = stream_key()
    relayed = 0
    with transaction.atomic():
        pending = list(
            DomainEvent.objects.filter(relayed_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)[:limit]
        )
        for event in pending:
            try:
                stream_id = append(
                    keys=[key, f"{key}:relayed:{event.pk}"],
                    args=[settings.EVENTS_STREAM_MAXLEN, MARKER_TTL, _wire(event)],
                )
            except redis.RedisError as exc:
                logger.warning("Event relay stopped at event %s: %s", event.pk, exc)
                break
            DomainEvent.objects.filter(pk=event.pk).update(relayed_at=timezone.now(), stream_id=stream_id)
            relayed += 1
            if event.type in NOTIFY_TYPES:
                enqueue_on_commit(telegram_event_notify, event_id=event.pk)
    return relayed
