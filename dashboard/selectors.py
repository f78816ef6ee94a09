"""What the overview shows, read in a fixed number of queries whatever the years of data: the
database sums, the facts' sums are cached until the next ingestion, leads and contracts are live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Subquery, Sum

from contracts.milestones import STEPS
from contracts.models import Contract
from marketing.metrics import (
    COUNT,
    POSITION,
    RATE,
    Period,
    between,
    change,
    count_in_periods,
    count_per_local_day,
    dimension_series,
    fact_totals,
    facts_cached,
    lead_totals,
    position_distribution,
    search_dimension_table,
)
from marketing.models import Lead, Score, SearchFact, TrafficFact

SEO_PAGE_SIZE = 25


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str  # of the change: percent, points or positions
    higher_is_better: bool
    kind: str  # how the value is shown: count, rate or position


KPIS = (
    Kpi("clicks", "Search clicks", COUNT, True, "count"),
    Kpi("impressions", "Impressions", COUNT, True, "count"),
    Kpi("ctr", "Click-through rate", RATE, True, "rate"),
    Kpi("position", "Average position", POSITION, False, "position"),
    Kpi("sessions", "Sessions", COUNT, True, "count"),
    Kpi("bounce_rate", "Bounce rate", RATE, False, "rate"),
    Kpi("leads", "Leads", COUNT, True, "count"),
    Kpi("contracts_signed", "Contracts signed", COUNT, True, "count"),
)


def _days(period: Period) -> list:
    return [period.start + timedelta(days=i) for i in range(period.days)]


def _fact_daily(period: Period) -> dict[str, list[float | None]]:
    """Search and traffic metrics per day of `period`: two queries."""
    search = {
        row["day"]: row
        for row in SearchFact.objects.filter(between(period))
        .values("day")
        .annotate(clicks=Sum("clicks"), impressions=Sum("impressions"), position_sum=Sum("position_sum"))
    }
    traffic = {
        row["day"]: row
        for row in TrafficFact.objects.filter(between(period))
        .values("day")
        .annotate(visits=Sum("sessions"), bounce_sum_total=Sum("bounce_sum"))
    }
    out: dict[str, list] = {
        k: [] for k in ("clicks", "impressions", "ctr", "position", "sessions", "bounce_rate")
    }
    for day in _days(period):
        s, t = search.get(day), traffic.get(day)
        impressions = s["impressions"] if s else 0
        out["clicks"].append(s["clicks"] if s else 0)
        out["impressions"].append(impressions)
        out["ctr"].append(s["clicks"] / impressions if impressions else None)  # no impressions: a gap
        out["position"].append(s["position_sum"] / impressions if impressions else None)
        out["sessions"].append(t["visits"] if t else 0)
        out["bounce_rate"].append(t["bounce_sum_total"] / t["visits"] if t and t["visits"] else None)
    return out


def _per_local_day(queryset, field: str, tenant, period: Period) -> list[int]:
    """How many rows of `queryset` have `field` on each local day of `period`, zeros included."""
    counts = count_per_local_day(queryset, field, tenant=tenant, period=period)
    return [counts.get(day, 0) for day in _days(period)]


def overview_kpis(*, tenant, period: Period, compare: bool = True) -> dict:
    """The KPI cards (value, previous value, change, whether the change is good) and each KPI's daily
    series for the sparklines and the chart. Seven queries; three when the facts' sums are cached."""
    periods = [period, period.before()]
    current, previous = fact_totals(periods=periods)
    leads_now, leads_before = lead_totals(tenant=tenant, periods=periods)
    signed_now, signed_before = count_in_periods(
        Contract.objects.all(), "signed_at", tenant=tenant, periods=periods
    )
    current |= {"leads": leads_now, "contracts_signed": signed_now}
    previous |= {"leads": leads_before, "contracts_signed": signed_before}

    daily = facts_cached("daily", period.as_dict(), lambda: _fact_daily(period))
    daily["leads"] = _per_local_day(Lead.objects.all(), "created", tenant, period)
    daily["contracts_signed"] = _per_local_day(Contract.objects.all(), "signed_at", tenant, period)

    cards = []
    for kpi in KPIS:
        delta = change(current[kpi.key], previous[kpi.key], kpi.unit) if compare else None
        cards.append(
            {
                "kpi": kpi,
                "value": current[kpi.key],
                "previous": previous[kpi.key] if compare else None,
                "change": delta,
                "good": None if not delta else (delta > 0) == kpi.higher_is_better,
                "series": daily[kpi.key],
            }
        )
    return {"cards": cards, "days": [d.isoformat() for d in _days(period)], "daily": daily}


def latest_scores() -> dict:
    """The last scored week's scores, area by area, with their reasons: one query."""
    last_week = Score.objects.order_by("-week").values("week")[:1]
    scores = list(Score.objects.filter(week=Subquery(last_week)).order_by("area"))
    return {"week": scores[0].week if scores else None, "scores": scores}


def latest_leads(limit: int = 5) -> list[Lead]:
    return list(Lead.objects.order_by("-created", "-pk")[:limit])


OPEN_STATUSES = (Contract.Status.SENT, Contract.Status.VIEWED)


def contract_pipeline() -> dict:
    """Contracts by status (every status, zeros included) and signed shipments by their last
    milestone: two queries."""
    by_status = dict(
        Contract.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    by_milestone = dict(
        Contract.objects.filter(status__in=(Contract.Status.SIGNED, Contract.Status.SEALED))
        .values_list("milestone")
        .annotate(n=Count("id"))
        .values_list("milestone", "n")
    )
    return {
        "total": sum(by_status.values()),
        "shipping": sum(by_milestone.values()),
        "statuses": [(status, label, by_status.get(status, 0)) for status, label in Contract.Status.choices],
        "milestones": [
            ("Waiting for the first step", by_milestone.get(None, 0)),
            *((step.label, by_milestone.get(step.index, 0)) for step in STEPS),
        ],
    }


# --- the SEO page: facts only, so each answer is cached until ingestion writes facts ----------------


def seo_table(
    *, dimension: str, period: Period, order: str, reverse: bool, search: str, page: int
) -> tuple[int, list[dict]]:
    """One page (SEO_PAGE_SIZE rows) of the queries or pages table, and how many there are in all."""
    arguments = [dimension, period.as_dict(), order, reverse, search, page]

    def compute():
        return search_dimension_table(
            dimension=dimension,
            period=period,
            order=order,
            reverse=reverse,
            search=search,
            limit=SEO_PAGE_SIZE,
            offset=(page - 1) * SEO_PAGE_SIZE,
        )

    if search:  # a search is typed once: caching each would let anyone fill Redis, one key a word
        return compute()
    total, rows = facts_cached("seo-table", arguments, compute)
    return total, rows


def seo_distribution(*, dimension: str, period: Period) -> list[dict]:
    return facts_cached(
        "seo-distribution",
        [dimension, period.as_dict()],
        lambda: position_distribution(dimension=dimension, period=period),
    )


def seo_trend(*, dimension: str, value: str, period: Period) -> list[dict]:
    return facts_cached(
        "seo-trend",
        [dimension, value, period.as_dict()],
        lambda: dimension_series(dimension=dimension, value=value, period=period),
    )


# --- the business at a glance (the MCP tool site_info and GET /api/v1/site/) -------------------------


def site_info(*, tenant) -> dict:
    """Name, plan, domains, which areas are on (plan and toggle both), and each connector's health,
    ready to be sent as JSON: four queries (domains, the newest runs, the newest successes, the
    config if not loaded)."""
    from billing.plans import plan_allows, plan_get
    from marketing.selectors_ingestion import connector_health
    from tenants.features import TOGGLES
    from tenants.selectors import tenant_url

    plan = plan_get(tenant.plan or "")
    features = {}
    for toggle in sorted(TOGGLES):
        name = toggle.removeprefix("feature_")
        features[name] = bool(getattr(tenant.config, toggle)) and plan_allows(tenant=tenant, feature=name)

    def when(run):
        return (run.finished or run.created).isoformat() if run else None

    return {
        "name": tenant.name,
        "subdomain": tenant.subdomain,
        "url": tenant_url(tenant),
        "plan": {"code": plan.code, "name": plan.name} if plan else None,
        "status": tenant.status,
        "domains": sorted(tenant.domains.values_list("domain", flat=True)),
        "timezone": tenant.config.timezone,
        "features": features,
        "connectors": [
            {
                "connector": h["connector"],
                "label": h["label"],
                "state": h["state"],
                "last_run_status": h["last_run"].status if h["last_run"] else None,
                "last_success": when(h["last_success"]),
                "stale": h["stale"],
                "failed": h["failed"],
            }
            for h in connector_health(tenant=tenant)
        ],
    }
