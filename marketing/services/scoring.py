"""A 0–100 score per area (search, traffic, leads, ads) for each complete week, with its reasons.

Every area starts at 50 (as good as the week before) and moves by capped amounts for what changed
against the week before; each move is a reason the owner can read. Weeks run Monday to Sunday in the
tenant's time zone. An area without data that week gets no score.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from marketing.metrics import Period, change, totals
from marketing.models import Score
from marketing.services.ingestion import tenant_local_today


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


def _say(metric: str, delta: float | None, unit: str) -> str:
    if delta is None:
        return f"{metric}: nothing the week before to compare with"
    if not delta:
        return f"{metric} unchanged"
    if unit == "positions":  # a smaller position is a better one
        places = "place" if abs(delta) == 1 else "places"
        return f"{metric} {'improved' if delta < 0 else 'slipped'} by {abs(delta):g} {places}"
    amount = f"{abs(delta):g} %" if unit == "percent" else f"{abs(delta):g} points"
    return f"{metric} {'up' if delta > 0 else 'down'} {amount}"


# area → [(metric, label, unit, points per unit of change, cap)]; a negative weight means lower is better.
RULES = {
    Score.Area.SEARCH: [
        ("clicks", "Clicks from Google", "percent", 0.5, 25),
        ("position", "Average position", "positions", -5, 15),
        ("ctr", "Click-through rate", "points", 5, 10),
    ],
    Score.Area.TRAFFIC: [
        ("sessions", "Visits", "percent", 0.5, 25),
        ("bounce_rate", "Bounce rate", "points", -1, 15),
    ],
    Score.Area.LEADS: [
        ("leads", "New leads", "percent", 0.5, 30),
        ("lead_form", "Quote forms sent", "percent", 0.25, 20),
    ],
    Score.Area.ADS: [
        ("conversions", "Ad conversions", "percent", 1 / 3, 20),
        ("cost_per_conversion", "Cost per conversion", "percent", -1 / 3, 20),
    ],
}
HAS_DATA = {
    Score.Area.SEARCH: "impressions",
    Score.Area.TRAFFIC: "sessions",
    Score.Area.LEADS: None,  # no leads is a result, not missing data
    Score.Area.ADS: "ad_impressions",
}


def score_area(area: str, current: dict, previous: dict) -> tuple[int, list[dict]] | None:
    """The score and reasons for one area from two weeks' totals; None when the area has no data."""
    if HAS_DATA[area] and not current[HAS_DATA[area]]:
        return None
    points = 50.0
    reasons = []
    for metric, label, unit, weight, cap in RULES[area]:
        delta = change(current[metric], previous[metric], unit)
        effect = 0.0 if delta is None else round(_clamp(delta * weight, cap), 1)
        points += effect
        reasons.append(
            {"metric": metric, "text": _say(label, delta, unit), "change": delta, "points": effect}
        )
    return int(max(0.0, min(100.0, points)) + 0.5), reasons  # halves round up


def week_of(day) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))


def scores_store(
    *, tenant, now=None, weeks: int = 1, start: date | None = None, end: date | None = None
) -> list[Score]:
    """Compute and store (replacing) weekly scores: of the last `weeks` complete weeks, or, given the
    days a run wrote (`start`–`end`), of every complete week those days change — the weeks holding
    them and the week after each, which compares against them."""
    last = week_of(tenant_local_today(tenant, now=now)).before()
    if start is not None:
        first = week_of(start).start
        final = min(last.start, week_of((end or start) + timedelta(days=7)).start)
        weeks = (final - first).days // 7 + 1
        if weeks < 1:
            return []
        last = Period(final, final + timedelta(days=6))
    periods = [Period(last.start - timedelta(weeks=i), last.end - timedelta(weeks=i)) for i in range(weeks)]
    periods_and_before = [*periods, periods[-1].before()]
    values = []
    for i in range(0, len(periods_and_before), 13):  # a quarter per query keeps each query small
        values += totals(tenant=tenant, periods=periods_and_before[i : i + 13], cached=False)
    scores, stale = [], []
    for i, period in enumerate(periods):
        for area in Score.Area.values:
            result = score_area(area, values[i], values[i + 1])
            if result is None:
                stale.append((period.start, area))
            else:
                scores.append(Score(week=period.start, area=area, score=result[0], reasons=result[1]))
    with transaction.atomic():
        for week, area in stale:  # data that went away takes its score with it
            Score.objects.filter(week=week, area=area).delete()
        return Score.objects.bulk_create(
            scores,
            update_conflicts=True,
            unique_fields=["week", "area"],
            update_fields=["score", "reasons", "computed"],
        )
