"""The SEO page: search queries and pages over the chosen range against the period before — a
sortable, searchable, paginated table (htmx swaps only the table), the biggest movers, the position
distribution, and one query's or page's daily trend (a panel, or a page of its own without JS)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from dashboard.ranges import range_from_request
from dashboard.rendering import chart, range_keep, render_dashboard
from dashboard.selectors import seo_distribution, seo_table, seo_trend
from dashboard.seo_params import (
    DIMENSIONS,
    NATURAL_DESCENDING,
    PAGE_SIZE,
    SORT_COLUMNS,
    TrendForm,
    table_params,
)
from marketing.metrics import MOVER_MIN_IMPRESSIONS, SEARCH_MAX_LENGTH, biggest_movers
from tenants.permissions import member_required

TABLE_TARGET = "seo-table"
MOVER_LISTS = [
    ("gained_clicks", "Gained clicks", "clicks"),
    ("lost_clicks", "Lost clicks", "clicks"),
    ("rose", "Rose in position", "position"),
    ("fell", "Fell in position", "position"),
]
TREND_TARGET = "seo-trend"


def _sort_headers(params) -> list[dict]:
    """Each sortable column: its link (the first click sorts in the column's natural direction, a
    second turns it round) and its aria-sort."""
    headers = []
    for key, label in SORT_COLUMNS:
        active = params.sort == key
        descending = params.descending if active else NATURAL_DESCENDING[key]
        next_direction = ("asc" if descending else "desc") if active else ("desc" if descending else "asc")
        headers.append(
            {
                "key": key,
                "label": label,
                "active": active,
                "aria_sort": ("descending" if descending else "ascending") if active else None,
                "dir": next_direction,
            }
        )
    return headers


def trend_url(*, dimension: str, value: str, chosen) -> str:
    """The trend page of one query or page, the range kept; the value encoded whatever it holds
    (spaces, slashes, &, unicode)."""
    return f"{reverse('dashboard_seo_trend')}?{urlencode({'dimension': dimension, 'value': value})}&{chosen.query()}"


def _labelled(row: dict, dimension: str, chosen) -> dict:
    return {
        **row,
        "label": row[dimension],
        "trend_url": trend_url(dimension=dimension, value=row[dimension], chosen=chosen),
    }


def _table_context(request, chosen) -> dict:
    params = table_params(request.GET)

    def table(page: int):
        return seo_table(
            dimension=params.dimension,
            period=chosen.period,
            order=params.sort,
            reverse=params.descending != NATURAL_DESCENDING[params.sort],
            search=params.search,
            page=page,
        )

    page = params.page
    total, rows = table(page)
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:  # past the end (a stale link, a hand-made URL): the last page, said so
        params.errors.append(f"There are only {pages} page{'s' if pages > 1 else ''}: showing the last one.")
        page = pages
        total, rows = table(page)
    first = (page - 1) * PAGE_SIZE + 1 if rows else 0
    rows = [_labelled(row, params.dimension, chosen) for row in rows]
    return {
        "params": params,
        "dimension": params.dimension,
        "dimension_label": DIMENSIONS[params.dimension],
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "first": first,
        "last": first + len(rows) - 1 if rows else 0,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < pages else None,
        "headers": _sort_headers(params),
        "table_errors": params.errors,
        "range_fields": list(QueryDict(chosen.query()).items()),
        "search_max_length": SEARCH_MAX_LENGTH,
    }


@member_required
def seo(request):
    chosen = range_from_request(request)
    context = {"range": chosen, **_table_context(request, chosen)}
    context["range_keep"] = range_keep(request)
    if request.htmx and request.htmx.target == TABLE_TARGET:
        # Only the table: sort, search and page change nothing else. The search form's hidden sort
        # and the period picker's kept parameters follow out of band, so a new search keeps the
        # order and a new period keeps the sort and the search.
        response = render(request, "dashboard/seo.html#table", context)
        for template in ("dashboard/seo.html#search-state", "dashboard/_range_keep.html"):
            response.content += render_to_string(template, {**context, "oob": True}, request).encode()
        return response
    dimension = context["dimension"]
    distribution = seo_distribution(dimension=dimension, period=chosen.period)
    movers = biggest_movers(tenant=request.tenant, dimension=dimension, current=chosen.period)  # cached
    context |= {
        "mover_lists": [
            (title, field, [_labelled(row, dimension, chosen) for row in movers[key]])
            for key, title, field in MOVER_LISTS
        ],
        "mover_min_impressions": MOVER_MIN_IMPRESSIONS,
        "distribution": distribution,
        "distribution_chart": chart(
            "bar",
            [b["bucket"] for b in distribution],
            [
                {
                    "label": f"{DIMENSIONS[dimension]['plural'].capitalize()}",
                    "data": [b["count"] for b in distribution],
                }
            ],
        ),
        "tabs": [(d["tab"], d["title"]) for d in DIMENSIONS.values()],
    }
    return render_dashboard(request, "dashboard/seo.html", context)


@member_required
def seo_trend_view(request):
    """One query's or page's daily clicks and impressions: a panel beside the SEO table (htmx), or a
    page of its own (a link opened without JavaScript, or in a new tab)."""
    chosen = range_from_request(request)
    asked = "dimension" in request.GET or "value" in request.GET
    form = TrendForm(request.GET if asked else None)
    context = {"range": chosen, "form": form}
    status = 200
    if form.is_valid():
        dimension, value = form.cleaned_data["dimension"], form.cleaned_data["value"]
        series = seo_trend(dimension=dimension, value=value, period=chosen.period)
        context |= {
            "dimension": dimension,
            "dimension_label": DIMENSIONS[dimension],
            "value": value,
            "series": series,
            "totals": {
                "clicks": sum(p["clicks"] for p in series),
                "impressions": sum(p["impressions"] for p in series),
            },
            "trend_chart": chart(
                "line",
                [p["day"] for p in series],
                [
                    {"label": "Clicks", "data": [p["clicks"] for p in series]},
                    {"label": "Impressions", "data": [p["impressions"] for p in series], "axis": "right"},
                ],
            ),
        }
    elif asked:
        status = 400
    if request.htmx and request.htmx.target == TREND_TARGET:
        return render(request, "dashboard/seo_trend.html#trend", context, status=status)
    return render_dashboard(request, "dashboard/seo_trend.html", context, status=status)
