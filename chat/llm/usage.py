"""What the assistant's model cost this tenant: tokens and US dollars per local calendar month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone

from chat.models import LlmUsage


@dataclass(frozen=True)
class LlmUsageMonth:
    month: date  # the first day of the month
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def llm_usage_month(*, tz: str, today: date | None = None) -> LlmUsageMonth:
    """The model calls of the current schema's tenant in the calendar month holding `today` (default:
    today), months counted in the tenant's time zone `tz` (TenantConfig.timezone)."""
    zone = ZoneInfo(tz)
    today = today or timezone.now().astimezone(zone).date()
    first = today.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(following, time.min, tzinfo=zone)
    totals = LlmUsage.objects.filter(created__gte=start, created__lt=end).aggregate(
        calls=Count("pk"),
        failed=Count("pk", filter=Q(ok=False)),
        input_tokens=Sum("input_tokens"),
        output_tokens=Sum("output_tokens"),
        cost_usd=Sum("cost_usd"),
    )
    return LlmUsageMonth(
        month=first,
        calls=totals["calls"],
        failed=totals["failed"],
        input_tokens=totals["input_tokens"] or 0,
        output_tokens=totals["output_tokens"] or 0,
        cost_usd=totals["cost_usd"] or Decimal("0"),
    )
