"""Reading the tenant's event stream with a cursor (MCP `get_events`, `GET /api/v1/events/`)."""

from __future__ import annotations

import json
import re

import redis

from chat.services.events import events_redis, stream_key
from inkwell.errors import DomainError, ServiceUnavailable

CURSOR = re.compile(r"^\d{1,20}-\d{1,20}$")
MAX_LIMIT = 500


def events_read(*, cursor: str | None, limit: int = 100) -> tuple[list[dict], str | None]:
    """Events after `cursor` (exclusive; None = from the oldest kept), oldest first, and the cursor
    to pass next time (the last event's, or the given one when there was nothing new). Each event
    carries its own `cursor`. Raises DomainError("invalid_cursor") or ServiceUnavailable."""
    if cursor is not None and not CURSOR.match(cursor):
        raise DomainError("The cursor is not one this stream gave out.", code="invalid_cursor")
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"limit must be between 1 and {MAX_LIMIT}.", code="invalid_limit")
    try:
        rows = events_redis().xrange(stream_key(), min=f"({cursor}" if cursor else "-", count=limit)
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            "The event stream is unavailable; try again in a minute.", code="events_unavailable"
        ) from exc
    events = [{"cursor": stream_id, **json.loads(fields["event"])} for stream_id, fields in rows]
    return events, (events[-1]["cursor"] if events else cursor)
