"""Reading campaigns (from Ads and by hand, with their Ads results) and the seasonal calendar: monthly
search demand from two years of impressions and the months to run campaigns in."""

from __future__ import annotations

import calendar as calendar_module
from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth

from marketing.metrics import COUNT, MONEY, Period, between, change, facts_cached
from marketing.models import AdsFact, Campaign, SearchFact, SeasonalEvent
from marketing.services.ingestion import tenant_local_today

CAMPAIGN_RESULTS = ("impressions", "clicks", "cost", "conversions")
# result → unit of its change (metrics.change): all are counts or money, so percent.
CAMPAIGN_CHANGES = {"cost": MONEY, "clicks": COUNT, "conversions": COUNT, "cost_per_conversion": MONEY}


def _cost_per_conversion(cost, conversions):
    return round(cost / conversions, 2) if cost and conversions else None


def _results(row: dict, prefix: str) -> dict:
    values = {name: row.get(f"{prefix}{name}") or 0 for name in CAMPAIGN_RESULTS}
    values["cost_per_conversion"] = _cost_per_conversion(values["cost"], values["conversions"])
    return values


def _changes(current: dict, previous: dict) -> dict:
    return {
        name: None
        if current[name] is None or previous[name] is None
        else change(float(current[name]), float(previous[name]), unit)
        for name, unit in CAMPAIGN_CHANGES.items()
    }


def campaign_list(*, period: Period, previous: Period | None = None) -> list[dict]:
    """Every campaign (from Ads and by hand) with its Ads results over `period`, and over `previous`
    (the period before, unless given) with the change between them under "previous" and "change"
    (None when there is nothing to compare). Two queries, whatever the periods."""
    previous = previous or period.before()
    rows = (
        AdsFact.objects.filter(between(period) | between(previous))
        .values("campaign_id")
        .annotate(
            **{f"c_{name}": Sum(name, filter=between(period)) for name in CAMPAIGN_RESULTS},
            **{f"p_{name}": Sum(name, filter=between(previous)) for name in CAMPAIGN_RESULTS},
        )
    )
    results = {row["campaign_id"]: row for row in rows}
    return [
        _campaign_row(campaign, results.get(campaign.ads_campaign_id, {}) if campaign.ads_campaign_id else {})
        for campaign in Campaign.objects.all()
    ]


def campaign_row(*, campaign: Campaign) -> dict:
    """One campaign as campaign_list shows it, without Ads results (no query): for a campaign
    entered by hand, which has none."""
    return _campaign_row(campaign, {})


def _campaign_row(campaign: Campaign, results: dict) -> dict:
    current, before = _results(results, "c_"), _results(results, "p_")
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "channel": campaign.channel,
        "channel_label": campaign.get_channel_display(),
        "ads_campaign_id": campaign.ads_campaign_id,
        "from_ads": bool(campaign.ads_campaign_id),
        "budget": campaign.budget,
        "start": campaign.start,
        "end": campaign.end,
        "notes": campaign.notes,
        **current,
        "previous": before,
        "change": _changes(current, before),
    }


def campaign_totals(campaigns: list[dict]) -> dict:
    """The sums of campaign_list's rows (no query): this period, the previous one and the change."""
    current = {name: sum(c[name] for c in campaigns) for name in CAMPAIGN_RESULTS}
    before = {name: sum(c["previous"][name] for c in campaigns) for name in CAMPAIGN_RESULTS}
    for values in (current, before):
        values["cost_per_conversion"] = _cost_per_conversion(values["cost"], values["conversions"])
    return {**current, "previous": before, "change": _changes(current, before)}


def campaign_daily(*, period: Period) -> dict[str, list]:
    """Ads spend and conversions per day of `period` (0 on days without any): one query, none while
    cached (the facts change only when ingestion writes them)."""

    def compute():
        found = {
            row["day"]: row
            for row in AdsFact.objects.filter(between(period))
            .values("day")
            .annotate(cost=Sum("cost"), conversions=Sum("conversions"))
        }
        days = [period.start + timedelta(days=i) for i in range(period.days)]
        return {
            "days": [d.isoformat() for d in days],
            "cost": [float(found[d]["cost"]) if d in found else 0.0 for d in days],
            "conversions": [float(found[d]["conversions"]) if d in found else 0.0 for d in days],
        }

    return facts_cached("campaign_daily", period.as_dict(), compute)


def monthly_demand(*, tenant, now=None, years: int = 2) -> list[dict]:
    """Search demand per calendar month over the last `years` years of impressions: the average
    impressions per day with data in that month, and its index against the mean of the months
    (100 = an average month). Months without data are None. One query, none while cached."""
    end = tenant_local_today(tenant, now=now) - timedelta(days=1)
    start = end - timedelta(days=365 * years + years // 4)

    def compute():
        return list(
            SearchFact.objects.filter(day__gte=start, day__lte=end)
            .annotate(month=ExtractMonth("day"))
            .values("month")
            .annotate(impressions=Sum("impressions"), days=Count("day", distinct=True))
        )

    # The facts change only when ingestion writes them: the two years' sums are kept until then.
    rows = facts_cached("monthly_demand", {"start": start, "end": end}, compute)
    per_day = {row["month"]: row["impressions"] / row["days"] for row in rows if row["days"]}
    mean = sum(per_day.values()) / len(per_day) if per_day else None
    return [
        {
            "month": month,
            "impressions_per_day": round(per_day[month], 1) if month in per_day else None,
            "index": round(per_day[month] / mean * 100, 1) if month in per_day and mean else None,
        }
        for month in range(1, 13)
    ]


def recommended_windows(demand: list[dict]) -> list[dict]:
    """Months whose demand is above the year's mean and rising from the month before, joined into
    runs of consecutive months (December runs into January): when to put campaigns out."""
    index = {d["month"]: d["index"] for d in demand}
    picked = [
        m
        for m in range(1, 13)
        if index[m] is not None
        and index[m] > 100
        and index[12 if m == 1 else m - 1] is not None
        and index[m] > index[12 if m == 1 else m - 1]
    ]
    windows: list[list[int]] = []
    for m in picked:
        if windows and windows[-1][-1] == m - 1:
            windows[-1].append(m)
        else:
            windows.append([m])
    if len(windows) > 1 and windows[0][0] == 1 and windows[-1][-1] == 12:
        windows[0] = windows.pop() + windows[0]
    return [{"start_month": w[0], "end_month": w[-1], "months": w} for w in sorted(windows)]


def seasonal_calendar(*, tenant, now=None) -> dict:
    demand = monthly_demand(tenant=tenant, now=now)
    events = list(
        SeasonalEvent.objects.values(
            "id", "name", "start_month", "start_day", "end_month", "end_day", "notes"
        )
    )
    return {"events": events, "demand": demand, "recommended_windows": recommended_windows(demand)}


def event_months(event: dict) -> list[int]:
    """The months an event touches, in its order: Dec 15 → Jan 10 is [12, 1]; an end before the
    start in the same month (Jan 20 → Jan 10) wraps the whole year."""
    start, end = event["start_month"], event["end_month"]
    if (end, event["end_day"]) < (start, event["start_day"]):
        end = min(end + 12, start + 11)
    return [(m - 1) % 12 + 1 for m in range(start, end + 1)]


MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = tuple(calendar_module.month_name[m] for m in range(1, 13))
DEMAND_LEVELS = (70, 90, 110, 130)  # index bounds of the heat strip's levels 1–5 (0: no data)


def demand_level(index: float | None) -> int:
    """How hot a month is, 1 (quiet) to 5 (busiest), for the heat strip; 0 without data."""
    if index is None:
        return 0
    return 1 + sum(index >= bound for bound in DEMAND_LEVELS)


def event_span(event: dict) -> str:
    """ "Dec 15 – Jan 10"."""
    start, end = MONTH_ABBR[event["start_month"] - 1], MONTH_ABBR[event["end_month"] - 1]
    return f"{start} {event['start_day']} – {end} {event['end_day']}"


def calendar_months(calendar: dict) -> list[dict]:
    """seasonal_calendar() as twelve months (Jan–Dec), each with its demand, the events that touch it
    (marked where they start and end) and whether it is in a recommended campaign window."""
    windows = {m for w in calendar["recommended_windows"] for m in w["months"]}
    months = [
        {
            **d,
            "abbr": MONTH_ABBR[d["month"] - 1],
            "name": MONTH_NAMES[d["month"] - 1],
            "level": demand_level(d["index"]),
            "recommended": d["month"] in windows,
            "events": [],
        }
        for d in calendar["demand"]
    ]
    for event in calendar["events"]:
        touched = event_months(event)
        for position, month in enumerate(touched):
            months[month - 1]["events"].append(
                {
                    **event,
                    "span": event_span(event),
                    "starts": position == 0,
                    "ends": position == len(touched) - 1,
                }
            )
    return months
