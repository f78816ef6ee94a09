"""Reading the daily facts: totals, week-over-week, series, movers, top queries and pages (campaigns
and seasonal demand are in marketing/seasons.py). The database aggregates; Python only shapes the answer.

Windows are days in the tenant's time zone. Counts change in percent, rates in percentage points,
positions in positions; a change with nothing to compare with is None ("no data"), never a
division by zero.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.core.cache import caches
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf, TruncDate

from marketing.models import AdsFact, Lead, SearchFact, TrafficFact
from marketing.services.ingestion import tenant_local_today

COUNT, RATE, POSITION, MONEY = "percent", "points", "positions", "percent"
T = TypeVar("T")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def last_complete(*, tenant, days: int, now=None) -> Period:
    """The last `days` complete days in the tenant's time zone (ending yesterday)."""
    yesterday = tenant_local_today(tenant, now=now) - timedelta(days=1)
    return Period(yesterday - timedelta(days=days - 1), yesterday)


# metric → (unit of its change, whether higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "clicks": (COUNT, True),
    "impressions": (COUNT, True),
    "ctr": (RATE, True),
    "position": (POSITION, False),
    "sessions": (COUNT, True),
    "users": (COUNT, True),
    "new_users": (COUNT, True),
    "engaged_sessions": (COUNT, True),
    "bounce_rate": (RATE, False),
    "engagement_rate": (RATE, True),
    "avg_session_duration": (COUNT, True),
    "lead_form": (COUNT, True),
    "phone_click": (COUNT, True),
    "leads": (COUNT, True),
    "ad_impressions": (COUNT, True),
    "ad_clicks": (COUNT, True),
    "ad_cost": (MONEY, False),
    "conversions": (COUNT, True),
    "cost_per_conversion": (MONEY, False),
}


def _ratio(numerator, denominator) -> float | None:
    return None if not denominator else float(numerator or 0) / float(denominator)


def between(period: Period, field: str = "day") -> Q:
    """Days of `period` (both ends included) as a filter on `field`."""
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def local_bounds(tenant, period: Period) -> tuple[datetime, datetime]:
    """The instants a local period starts and ends (exclusive): a DST week is 167 or 169 hours."""
    tz = ZoneInfo(tenant.config.timezone)
    return (
        datetime.combine(period.start, day_time.min, tzinfo=tz),
        datetime.combine(period.end + timedelta(days=1), day_time.min, tzinfo=tz),
    )


def _fact_sums(periods: list[Period]) -> tuple[dict, dict, dict]:
    """The search, traffic and Ads sums of each period: three queries whatever the number of periods."""
    span = Q(day__gte=min(p.start for p in periods), day__lte=max(p.end for p in periods))

    aggregates = {}
    for i, p in enumerate(periods):
        within = between(p)
        aggregates |= {
            f"clicks{i}": Sum("clicks", filter=within),
            f"impressions{i}": Sum("impressions", filter=within),
            f"position_sum{i}": Sum("position_sum", filter=within),
        }
    search = SearchFact.objects.filter(span).aggregate(**aggregates)

    aggregates = {}
    for i, p in enumerate(periods):
        within = between(p)
        aggregates |= {
            f"{name}{i}": Sum(name, filter=within)
            for name in ("sessions", "users", "new_users", "engaged_sessions", "bounce_sum", "duration_sum")
        }
        for event in ("lead_form", "phone_click"):
            aggregates[f"{event}{i}"] = Sum(Cast(KT(f"key_events__{event}"), IntegerField()), filter=within)
    traffic = TrafficFact.objects.filter(span).aggregate(**aggregates)

    aggregates = {}
    for i, p in enumerate(periods):
        within = between(p)
        aggregates |= {
            f"ad_{name}{i}": Sum(name, filter=within)
            for name in ("impressions", "clicks", "cost", "conversions")
        }
    ads = AdsFact.objects.filter(span).aggregate(**aggregates)
    return search, traffic, ads


def fact_totals(*, periods: list[Period], cached: bool = True) -> list[dict[str, float | int | None]]:
    """Every search, traffic and Ads metric summed over each period (three queries, or none when the
    answer is cached: facts change only when ingestion writes them)."""
    if not cached:
        return _fact_totals(periods)
    return facts_cached("totals", [p.as_dict() for p in periods], lambda: _fact_totals(periods))


def _fact_totals(periods: list[Period]) -> list[dict]:
    search, traffic, ads = _fact_sums(periods)
    out: list[dict] = [{} for _ in periods]
    for i, row in enumerate(out):
        clicks, impressions = search[f"clicks{i}"], search[f"impressions{i}"]
        sessions = traffic[f"sessions{i}"]
        row["clicks"] = clicks or 0
        row["impressions"] = impressions or 0
        row["ctr"] = _ratio(clicks, impressions)
        row["position"] = _ratio(search[f"position_sum{i}"], impressions)
        for name in ("sessions", "users", "new_users", "engaged_sessions", "lead_form", "phone_click"):
            row[name] = traffic[f"{name}{i}"] or 0
        row["bounce_rate"] = _ratio(traffic[f"bounce_sum{i}"], sessions)
        row["engagement_rate"] = _ratio(traffic[f"engaged_sessions{i}"], sessions)
        row["avg_session_duration"] = _ratio(traffic[f"duration_sum{i}"], sessions)
        row["ad_impressions"] = ads[f"ad_impressions{i}"] or 0
        row["ad_clicks"] = ads[f"ad_clicks{i}"] or 0
        row["ad_cost"] = float(ads[f"ad_cost{i}"] or 0)
        row["conversions"] = float(ads[f"ad_conversions{i}"] or 0)
        row["cost_per_conversion"] = _ratio(ads[f"ad_cost{i}"], ads[f"ad_conversions{i}"])
    return out


def count_in_periods(queryset, field: str, *, tenant, periods: list[Period]) -> list[int]:
    """How many rows of `queryset` have the instant `field` within each period (local days): one
    query whatever the number of periods."""
    bounds = [local_bounds(tenant, p) for p in periods]
    span = {f"{field}__gte": min(b[0] for b in bounds), f"{field}__lt": max(b[1] for b in bounds)}
    counts = queryset.filter(**span).aggregate(
        **{
            f"p{i}": Count("id", filter=Q(**{f"{field}__gte": a, f"{field}__lt": b}))
            for i, (a, b) in enumerate(bounds)
        }
    )
    return [counts[f"p{i}"] for i in range(len(periods))]


def count_per_local_day(queryset, field: str, *, tenant, period: Period) -> dict[date, int]:
    """How many rows of `queryset` have the instant `field` on each local day of `period` (days
    without any are left out): one query."""
    start, end = local_bounds(tenant, period)
    return dict(
        queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .annotate(local_day=TruncDate(field, tzinfo=ZoneInfo(tenant.config.timezone)))
        .values("local_day")
        .annotate(n=Count("id"))
        .values_list("local_day", "n")
    )


def lead_totals(*, tenant, periods: list[Period]) -> list[int]:
    """Leads received in each period (local days): one query, never cached (leads arrive all day)."""
    return count_in_periods(Lead.objects.all(), "created", tenant=tenant, periods=periods)


def totals(*, tenant, periods: list[Period], cached: bool = True) -> list[dict[str, float | int | None]]:
    """Every metric summed over each period: four queries (search, traffic, Ads, leads) whatever the
    number of periods, one when the facts' part is cached. Callers that read each period once
    (weekly scoring) pass `cached=False` rather than fill the cache."""
    facts = fact_totals(periods=periods, cached=cached)
    leads = lead_totals(tenant=tenant, periods=periods)
    return [{**f, "leads": n} for f, n in zip(facts, leads, strict=True)]


# --- Caching what the facts say ---------------------------------------------------------------------
# Facts change only when ingestion writes them (facts_write), which then moves the tenant's facts
# version on: every answer cached under the old version is never read again and expires. Keys go to
# the "site" cache, whose keys start with the tenant's schema.
FACTS_VERSION_KEY = "facts-version"
FACTS_CACHE_SECONDS = 24 * 3600


def _facts_cache():
    return caches["site"]


def facts_version() -> str:
    cache = _facts_cache()
    version = cache.get(FACTS_VERSION_KEY)
    if version is None:
        cache.add(FACTS_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(FACTS_VERSION_KEY)
    return version


def facts_changed() -> None:
    """Called when the current schema's facts have changed (after the writing transaction commits)."""
    _facts_cache().set(FACTS_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def facts_cached(name: str, arguments, compute: Callable[[], T]) -> T:
    """`compute()`, cached for the current schema until its facts change."""
    digest = hashlib.sha256(json.dumps(arguments, sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"facts:{facts_version()}:{name}:{digest}"
    return _facts_cache().get_or_set(key, compute, timeout=FACTS_CACHE_SECONDS)


def change(current, previous, unit: str) -> float | None:
    """Percent for counts and money, points for rates, positions for position; None when there is
    nothing to compare (no data before, or a rate with no denominator)."""
    if current is None or previous is None:
        return None
    if unit == RATE:
        return round((current - previous) * 100, 1)
    if unit == POSITION:
        return round(current - previous, 1)
    if not previous:
        return None
    return round((current - previous) / previous * 100, 1)


def compare(current: dict, previous: dict) -> dict[str, dict]:
    return {
        name: {
            "current": current[name],
            "previous": previous[name],
            "change": change(current[name], previous[name], unit),
            "unit": unit,
            "higher_is_better": better,
        }
        for name, (unit, better) in METRICS.items()
    }


def period_over_period(*, tenant, periods: list[Period]) -> list[dict]:
    """Each period against the same number of days just before it (one set of queries for all)."""
    values = totals(tenant=tenant, periods=[q for p in periods for q in (p, p.before())])
    return [
        {
            "current": p.as_dict(),
            "previous": p.before().as_dict(),
            "metrics": compare(values[2 * i], values[2 * i + 1]),
        }
        for i, p in enumerate(periods)
    ]


def metrics_summary(*, tenant, now=None) -> dict:
    """Week over week (the last complete 7 days against the 7 before) and the same for 28 days."""
    week, month = (
        last_complete(tenant=tenant, days=7, now=now),
        last_complete(tenant=tenant, days=28, now=now),
    )
    weekly, monthly = period_over_period(tenant=tenant, periods=[week, month])
    return {"week": weekly, "month": monthly}


SERIES_SOURCES = {
    "clicks": (SearchFact, Sum("clicks")),
    "impressions": (SearchFact, Sum("impressions")),
    "ctr": (SearchFact, Cast(Sum("clicks"), FloatField()) / Cast(Sum("impressions"), FloatField())),
    "position": (SearchFact, Sum("position_sum") / Cast(Sum("impressions"), FloatField())),
    "sessions": (TrafficFact, Sum("sessions")),
    "users": (TrafficFact, Sum("users")),
    "bounce_rate": (TrafficFact, Sum("bounce_sum") / Cast(Sum("sessions"), FloatField())),
    "lead_form": (TrafficFact, Sum(Cast(KT("key_events__lead_form"), IntegerField()))),
    "ad_clicks": (AdsFact, Sum("clicks")),
    "ad_cost": (AdsFact, Sum("cost")),
    "conversions": (AdsFact, Sum("conversions")),
}
SERIES_METRICS = [*SERIES_SOURCES, "leads"]
ZERO_IS_NO_DATA = {"ctr", "position", "bounce_rate"}  # rates of nothing are gaps, not zeros


def metric_series(*, tenant, metric: str, period: Period) -> list[dict]:
    """One value per day of `period` (one query); days without data are 0, or None for rates."""
    if metric == "leads":
        found = count_per_local_day(Lead.objects.all(), "created", tenant=tenant, period=period)
    else:
        model, expression = SERIES_SOURCES[metric]
        rows = model.objects.filter(between(period)).values("day").annotate(value=expression)
        if metric in ZERO_IS_NO_DATA:
            rows = rows.filter(**{"impressions__gt": 0} if model is SearchFact else {"sessions__gt": 0})
        found = {row["day"]: row["value"] for row in rows}
    empty = None if metric in ZERO_IS_NO_DATA else 0
    series = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        value = found.get(day, empty)
        series.append({"day": day.isoformat(), "value": float(value) if value is not None else None})
    return series


def _dimension_rows(dimension: str, current: Period, previous: Period, search: str = ""):
    # Annotations can't reuse the model's field names (clicks, impressions): c_ current, p_ previous.
    facts = SearchFact.objects.filter(day__gte=previous.start, day__lte=current.end)
    if search:
        facts = facts.filter(**{f"{dimension}__icontains": search})
    return (
        facts.values(dimension)
        .annotate(
            c_clicks=Coalesce(Sum("clicks", filter=between(current)), 0),
            p_clicks=Coalesce(Sum("clicks", filter=between(previous)), 0),
            c_impressions=Coalesce(Sum("impressions", filter=between(current)), 0),
            p_impressions=Coalesce(Sum("impressions", filter=between(previous)), 0),
            c_position_sum=Sum("position_sum", filter=between(current)),
            p_position_sum=Sum("position_sum", filter=between(previous)),
        )
        .annotate(delta=F("c_clicks") - F("p_clicks"))
    )


def _shape(row: dict, dimension: str) -> dict:
    position = _ratio(row["c_position_sum"], row["c_impressions"])
    previous_position = _ratio(row["p_position_sum"], row["p_impressions"])
    return {
        dimension: row[dimension],
        "clicks": row["c_clicks"],
        "previous_clicks": row["p_clicks"],
        "click_change": row["delta"],
        "impressions": row["c_impressions"],
        "ctr": round(row["c_clicks"] / row["c_impressions"], 4) if row["c_impressions"] else None,
        "position": round(position, 1) if position is not None else None,
        "previous_position": round(previous_position, 1) if previous_position is not None else None,
        "position_change": change(position, previous_position, POSITION),
    }


MOVER_MIN_IMPRESSIONS = 10  # a position "change" on fewer impressions is noise


def biggest_movers(*, tenant, dimension: str, current: Period, limit: int = 5) -> dict[str, list[dict]]:
    """Queries or pages (`dimension`) that gained and lost most clicks, and that rose and fell most
    in average position, against the period before: four queries, or none when cached (until the
    next ingestion)."""
    return facts_cached(
        "movers",
        [dimension, current.as_dict(), limit],
        lambda: _biggest_movers(tenant=tenant, dimension=dimension, current=current, limit=limit),
    )


def _biggest_movers(*, tenant, dimension: str, current: Period, limit: int = 5) -> dict[str, list[dict]]:
    """Queries or pages (`dimension`) that gained and lost most clicks, and that rose and fell most
    in average position (only those with MOVER_MIN_IMPRESSIONS in both periods), against the
    period before. Four queries."""
    previous = current.before()
    rows = _dimension_rows(dimension, current, previous)
    ranked = rows.filter(
        c_impressions__gte=MOVER_MIN_IMPRESSIONS, p_impressions__gte=MOVER_MIN_IMPRESSIONS
    ).annotate(
        position_delta=F("c_position_sum") / Cast(F("c_impressions"), FloatField())
        - F("p_position_sum") / Cast(F("p_impressions"), FloatField())
    )
    return {
        "gained_clicks": [
            _shape(r, dimension) for r in rows.filter(delta__gt=0).order_by("-delta", dimension)[:limit]
        ],
        "lost_clicks": [
            _shape(r, dimension) for r in rows.filter(delta__lt=0).order_by("delta", dimension)[:limit]
        ],
        "rose": [
            _shape(r, dimension)
            for r in ranked.filter(position_delta__lt=0).order_by("position_delta", dimension)[:limit]
        ],
        "fell": [
            _shape(r, dimension)
            for r in ranked.filter(position_delta__gt=0).order_by("-position_delta", dimension)[:limit]
        ],
    }


# sort key → the columns it orders by, each (annotation, descending), in its natural direction
# (most clicks, best position, most improved first); the dimension itself breaks ties.
ORDERINGS: dict[str, tuple[tuple[str, bool], ...]] = {
    "clicks": (("c_clicks", True), ("c_impressions", True)),
    "impressions": (("c_impressions", True), ("c_clicks", True)),
    "click_change": (("delta", True), ("c_clicks", True)),
    "ctr": (("c_ctr", True), ("c_clicks", True)),
    "position": (("c_position", False), ("c_impressions", True)),
    "position_change": (("d_position", False), ("c_impressions", True)),
}
SEARCH_MAX_LENGTH = 200


def _as_float(name: str):
    return Cast(F(name), FloatField())


def search_dimension_table(
    *,
    dimension: str,
    period: Period,
    order: str = "clicks",
    reverse: bool = False,
    search: str = "",
    limit: int = 50,
    offset: int = 0,
):
    """Top queries or pages over `period` with the change against the period before: (total, rows).
    `order` is an ORDERINGS key (`reverse` turns its direction round; rows without a value, such as
    no position, stay last); `search` keeps the queries or pages that contain it, ignoring case.
    Two queries."""
    rows = _dimension_rows(dimension, period, period.before(), search=search)
    rows = rows.filter(Q(c_impressions__gt=0) | Q(p_impressions__gt=0)).annotate(
        c_ctr=_as_float("c_clicks") / NullIf(_as_float("c_impressions"), Value(0.0)),
        c_position=F("c_position_sum") / NullIf(_as_float("c_impressions"), Value(0.0)),
        d_position=F("c_position_sum") / NullIf(_as_float("c_impressions"), Value(0.0))
        - F("p_position_sum") / NullIf(_as_float("p_impressions"), Value(0.0)),
    )
    total = rows.count()
    ordering = []
    for i, (name, descending) in enumerate(ORDERINGS[order]):
        if reverse and i == 0:
            descending = not descending
        column = F(name)
        ordering.append(column.desc(nulls_last=True) if descending else column.asc(nulls_last=True))
    page = rows.order_by(*ordering, dimension)[offset : offset + limit]
    return total, [_shape(r, dimension) for r in page]


# Average positions rounded to the whole position a searcher sees: 3.4 is "1–3", 3.5 is "4–10".
POSITION_BUCKETS = [("1–3", 3.5), ("4–10", 10.5), ("11–20", 20.5), ("21+", None)]


def position_distribution(*, dimension: str, period: Period) -> list[dict]:
    """How many queries (or pages) have their average position over `period` in each of
    POSITION_BUCKETS, with their clicks and impressions: one query (the database buckets each
    query's position_sum / impressions, then counts per bucket)."""
    position = F("position_total") / _as_float("impression_total")
    bucket = Case(
        *[When(**{"average__lt": top}, then=Value(i)) for i, (_, top) in enumerate(POSITION_BUCKETS) if top],
        default=Value(len(POSITION_BUCKETS) - 1),
    )
    per_item = (
        SearchFact.objects.filter(between(period))
        .values(dimension)
        .annotate(
            click_total=Sum("clicks"), impression_total=Sum("impressions"), position_total=Sum("position_sum")
        )
        .filter(impression_total__gt=0)
        .annotate(average=position)
        .annotate(bucket=bucket)
    )
    sums = {}
    for i in range(len(POSITION_BUCKETS)):
        within = Q(bucket=i)
        sums |= {
            f"n{i}": Count(dimension, filter=within),
            f"clicks{i}": Coalesce(Sum("click_total", filter=within), 0),
            f"impressions{i}": Coalesce(Sum("impression_total", filter=within), 0),
        }
    found = per_item.aggregate(**sums)
    return [
        {
            "bucket": label,
            "count": found[f"n{i}"],
            "clicks": found[f"clicks{i}"],
            "impressions": found[f"impressions{i}"],
        }
        for i, (label, _) in enumerate(POSITION_BUCKETS)
    ]


def dimension_series(*, dimension: str, value: str, period: Period) -> list[dict]:
    """One query's or page's clicks and impressions for each day of `period` (one query); days
    without data are 0, and the average position None."""
    rows = (
        SearchFact.objects.filter(between(period), **{dimension: value})
        .values("day")
        .annotate(
            click_total=Sum("clicks"), impression_total=Sum("impressions"), position_total=Sum("position_sum")
        )
    )
    found = {row["day"]: row for row in rows}
    series = []
    for offset in range(period.days):
        day = period.start + timedelta(days=offset)
        row = found.get(day)
        clicks = row["click_total"] if row else 0
        impressions = row["impression_total"] if row else 0
        position = _ratio(row["position_total"], impressions) if row else None
        series.append(
            {
                "day": day.isoformat(),
                "clicks": clicks,
                "impressions": impressions,
                "position": round(position, 1) if position is not None else None,
            }
        )
    return series
