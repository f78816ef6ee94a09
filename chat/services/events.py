"""Domain events: written to the outbox (chat.DomainEvent) inside the change's own transaction,
then relayed by a task to the tenant's Redis Stream, which readers follow with a cursor.

Exactly once onto the stream: the relay appends with a Lua script that also sets a per-event
marker, so a relay that dies between appending and stamping the row (and is run again) finds the
marker and does not append twice. The marker names the event by its row id *and* its creation
time: a test database made again, or a schema re-created under the same name, starts its ids at 1
again, and must not find the markers its predecessor left. Stream ids are given by Redis at append
time, so an event that committed late (a lower row id relayed after a higher one) still lands after
the reader's cursor.
"""

from __future__ import annotations

import json
import logging
from functools import partial

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from redis.backoff import NoBackoff
from redis.retry import Retry

from chat.models import DomainEvent
from inkwell.errors import ServiceUnavailable

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
RELAY_BATCH = 500

# Append to a stream once: KEYS stream, marker; ARGV trim (MAXLEN | MINID), its threshold, the
# marker's TTL, the field name and the payload. A marker found means the entry is there already.
_APPEND_ONCE = """
local done = redis.call('GET', KEYS[2])
if done then return done end
local id = redis.call('XADD', KEYS[1], ARGV[1], '~', ARGV[2], '*', ARGV[4], ARGV[5])
redis.call('SET', KEYS[2], id, 'EX', ARGV[3])
return id
"""


def stream_append_once(
    client: redis.Redis, *, key: str, marker: str, trim: str, threshold: int, field: str, payload: str
) -> str:
    """Append `payload` under `field` to the stream `key` unless `marker` says it was appended (then
    return that entry's id): the relays' exactly-once step (events here, the agent bus too). `trim`
    is "MAXLEN" (keep about `threshold` entries) or "MINID" (drop entries older than that id)."""
    append = client.register_script(_APPEND_ONCE)
    return append(keys=[key, marker], args=[trim, threshold, MARKER_TTL, field, payload])


_clients: dict[str, redis.Redis] = {}


def events_redis() -> redis.Redis:
    """The Redis holding the event streams (one client, so one connection pool, per URL).

    Short time-outs and a single immediate retry (a pooled connection a restarted Redis closed):
    redis-py's default of ten retries with back-off would hold a request, or the relay's
    transaction, for seconds when Redis is down, where failing at once is the answer."""
    url = settings.EVENTS_REDIS_URL
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url,
            socket_timeout=2,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 1),
            decode_responses=True,
        )
    return client


def stream_key(schema: str | None = None) -> str:
    return f"{settings.EVENTS_KEY_PREFIX}:{schema or connection.schema_name}"


def actor_label_of(actor) -> str:
    """How an event names who caused it, from a contracts-style Actor: its label (an API key's, an
    agent's), else the member's email (as the contract's audit trail shows it), else its kind
    ("customer", "system")."""
    return actor.label or (actor.user.email if actor.user else actor.type)


def event_emit(*, type: str, data: dict, actor_label: str = "") -> DomainEvent:
    """Record that `type` happened, in the caller's transaction (call it beside the write).

    `data` names the objects (ids, a reference, a status), never secrets nor more about a person
    than the owner's own API shows. The relay is queued for after the commit; if the queue or Redis
    is down the periodic relay (every minute) delivers it later.
    """
    from chat.tasks import events_relay
    from inkwell.queue import enqueue_on_commit

    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}")
    event = DomainEvent.objects.create(type=type, data=data, actor_label=actor_label[:200])
    if not _relay_queued(events_relay):
        try:
            enqueue_on_commit(events_relay)
        except ServiceUnavailable:  # outside a transaction, with the broker down: the write stands
            logger.warning("Event %s waits for the periodic relay (queue unavailable)", event.pk)
    return event


def _relay_queued(task) -> bool:
    """Whether this transaction already queues a relay for its commit (one relay takes every event
    of it: a 500-row lead import queues one, not 500). A rolled-back savepoint takes its callbacks
    with it, so a relay queued there no longer counts."""
    return any(
        isinstance(func, partial) and func.args[:1] == (task,)
        for _savepoints, func, _robust in connection.run_on_commit
    )


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


def _marker_key(key: str, event: DomainEvent) -> str:
    created = int(event.created.timestamp() * 1_000_000)
    return f"{key}:relayed:{event.pk}:{created}"


def _relay_batch(client: redis.Redis, key: str, limit: int) -> tuple[int, bool]:
    """Relay up to `limit` of the oldest unrelayed events in one transaction. Returns how many, and
    whether to stop: Redis failed (the rest wait for the next run), or no full batch is left."""
    from chat.tasks import telegram_event_notify
    from inkwell.queue import enqueue_on_commit

    relayed = 0
    with transaction.atomic():
        pending = list(
            DomainEvent.objects.filter(relayed_at__isnull=True)
            .order_by("pk")
            .select_for_update(skip_locked=True)[:limit]
        )
        for event in pending:
            try:
                stream_id = stream_append_once(
                    client,
                    key=key,
                    marker=_marker_key(key, event),
                    trim="MAXLEN",
                    threshold=settings.EVENTS_STREAM_MAXLEN,
                    field="event",
                    payload=_wire(event),
                )
            except redis.RedisError as exc:
                logger.warning("Event relay of %s stopped at event %s: %s", key, event.pk, exc)
                return relayed, True
            DomainEvent.objects.filter(pk=event.pk).update(relayed_at=timezone.now(), stream_id=stream_id)
            relayed += 1
            if event.type in NOTIFY_TYPES:
                enqueue_on_commit(telegram_event_notify, event_id=event.pk)
    return relayed, len(pending) < limit


def events_relay(*, limit: int = RELAY_BATCH) -> int:
    """Append the current schema's unrelayed events to its stream, oldest first, in batches of
    `limit` (each batch one transaction) until none is left. Returns how many were appended.

    Stops at the first Redis error, leaving the rest for the next run; concurrent relays skip each
    other's rows (SKIP LOCKED) instead of waiting. A crash after appending and before the stamp
    commits is harmless: the next run finds each appended event's marker and only stamps it.
    """
    if connection.schema_name == get_public_schema_name():
        return 0  # the outbox lives in tenant schemas only
    client, key = events_redis(), stream_key()
    total = 0
    while True:
        relayed, done = _relay_batch(client, key, limit)
        total += relayed
        if done:
            return total
