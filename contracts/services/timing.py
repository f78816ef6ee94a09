"""When scheduled customer messages (reminders, review requests) may go out: counted in the tenant's
own calendar days and sent only in daytime hours there, never at 3 a.m. because beat ran then."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

# Local hours in which scheduled texts and emails go out: from 9:00 up to (not including) 20:00.
SEND_FROM = time(9)
SEND_UNTIL = time(20)


def tenant_zone() -> ZoneInfo:
    """The time zone of the current tenant (TenantConfig.timezone)."""
    return ZoneInfo(connection.tenant.config.timezone)


def in_send_hours(now: datetime, zone: ZoneInfo) -> bool:
    """Whether `now` is within the hours messages may go out, local to `zone`."""
    return SEND_FROM <= now.astimezone(zone).time() < SEND_UNTIL


def due_after_days(*, since: datetime, days: int, now: datetime, zone: ZoneInfo) -> bool:
    """Whether `days` local calendar days have passed since `since` and it is past SEND_FROM on that
    day (e.g. sent Monday 23:30 local, 2 days → due from Wednesday 9:00 local)."""
    day = since.astimezone(zone).date() + timedelta(days=days)
    return now >= datetime.combine(day, SEND_FROM, tzinfo=zone)
