"""Reading campaigns (from Ads and by hand, with their Ads results) and the seasonal calendar: monthly
search demand from two years of impressions and the months to run campaigns in."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth

from marketing.metrics import Period, between
from marketing.models import AdsFact, Campaign, SearchFact, SeasonalEvent
from marketing.services.ingestion import tenant_local_today


def campaign_list(*, period: Period) -> list[dict]:
    """Every campaign (from Ads and by hand) with its Ads results over `period`. Two queries."""
    results = {
        row["campaign_id"]: row
        for row in AdsFact.objects.filter(between(period))
        .values("campaign_id")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            cost=Sum("cost"),
            conversions=Sum("conversions"),
        )
    }
    campaigns = []
    for campaign in Campaign.objects.all():
        r = results.get(campaign.ads_campaign_id, {}) if campaign.ads_campaign_id else {}
        cost, conversions = r.get("cost"), r.get("conversions")
        campaigns.append(
            {
                "id": campaign.pk,
                "name": campaign.name,
                "channel": campaign.channel,
                "budget": campaign.budget,
                "start": campaign.start,
                "end": campaign.end,
                "impressions": r.get("impressions", 0),
                "clicks": r.get("clicks", 0),
                "cost": cost or 0,
                "conversions": conversions or 0,
                "cost_per_conversion": round(cost / conversions, 2) if cost and conversions else None,
            }
        )
    return campaigns


def monthly_demand(*, tenant, now=None, years: int = 2) -> list[dict]:
    """Search demand per calendar month over the last `years` years of impressions: the average
    impressions per day with data in that month, and its index against the mean of the months
    (100 = an average month). Months without data are None. One query."""
    end = tenant_local_today(tenant, now=now) - timedelta(days=1)
    start = end - timedelta(days=365 * years + years // 4)
    rows = (
        SearchFact.objects.filter(day__gte=start, day__lte=end)
        .annotate(month=ExtractMonth("day"))
        .values("month")
        .annotate(impressions=Sum("impressions"), days=Count("day", distinct=True))
    )
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
