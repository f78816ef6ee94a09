"""Reading the tenant's event stream with a cursor (MCP `get_events`, `GET /api/v1/events/`).

A cursor is a stream id (`<milliseconds>-<sequence>`) this stream gave out. Redis gives each appended
event an id above every id before it, so reading "after my cursor" never repeats an event and never
skips one that is still kept (the stream keeps the newest EVENTS_STREAM_MAXLEN, roughly).
"""

from __future__ import annotations

import json
import re

import redis

from chat.services.events import events_redis, stream_key
from inkwell.errors import DomainError, ServiceUnavailable

CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")
MAX_LIMIT = 500
_UINT64 = 2**64 - 1


def cursor_parts(cursor: str) -> tuple[int, int]:
    """(milliseconds, sequence) of a stream cursor; DomainError("invalid_cursor") for anything else.
    The agent bus's inboxes check their cursors with it too."""
    match = CURSOR.match(cursor)
    parts = (int(match[1]), int(match[2])) if match else None
    # Redis' own error for these would read as an outage; the very last id has nothing after it.
    if parts is None or max(parts) > _UINT64 or parts == (_UINT64, _UINT64):
        raise DomainError("The cursor is not one this stream gave out.", code="invalid_cursor")
    return parts


def events_read(*, cursor: str | None, limit: int = 100) -> tuple[list[dict], str | None]:
    """Events after `cursor` (exclusive; None = from the oldest kept), oldest first, and the cursor
    to pass next time (the last event's, or the given one when there was nothing new). Each event
    carries its own `cursor`. Raises DomainError("invalid_cursor") for a malformed cursor or one
    ahead of the stream's newest event (it could never see anything), DomainError("invalid_limit"),
    or ServiceUnavailable("events_unavailable") when Redis can't be reached."""
    given = cursor_parts(cursor) if cursor is not None else None
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"limit must be between 1 and {MAX_LIMIT}.", code="invalid_limit")
    key = stream_key()
    try:
        pipe = events_redis().pipeline(transaction=False)
        pipe.xrange(key, min=f"({cursor}" if cursor else "-", count=limit)
        pipe.xrevrange(key, count=1)
        rows, newest = pipe.execute()
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            "The event stream is unavailable; try again in a minute.", code="events_unavailable"
        ) from exc
    if given is not None and newest and given > cursor_parts(newest[0][0]):
        raise DomainError("The cursor is not one this stream gave out.", code="invalid_cursor")
    events = [{"cursor": stream_id, **json.loads(fields["event"])} for stream_id, fields in rows]
    return events, (events[-1]["cursor"] if events else cursor)
