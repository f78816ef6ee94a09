"""The seasonal calendar: twelve months with their search demand (two years of impressions), the
seasonal events that touch them and the recommended campaign windows; owners add, change and delete
events in place (members read).

An event write changes the months it touches, so with htmx it answers with the whole body (the
months and the events list, the form with its errors where it was: 400); a plain form post is
redirected back to the page, or shown the page with the form's errors (400).
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.forms_seasons import SeasonalEventForm
from dashboard.rendering import chart, form_apply, render_dashboard
from marketing.models import SeasonalEvent
from marketing.seasons import MONTH_NAMES, calendar_months, event_span, seasonal_calendar
from marketing.services.calendar import (
    seasonal_event_create,
    seasonal_event_delete,
    seasonal_event_update,
)
from tenants.models import Membership
from tenants.permissions import member_required

TEMPLATE = "dashboard/calendar.html"


def _page(request, status: int = 200, **extra):
    seasons = seasonal_calendar(tenant=request.tenant)
    months = calendar_months(seasons)
    context = {
        "months": months,
        "events": [{**event, "span": event_span(event)} for event in seasons["events"]],
        "windows": [
            {
                **w,
                "label": " – ".join(
                    dict.fromkeys((MONTH_NAMES[w["start_month"] - 1], MONTH_NAMES[w["end_month"] - 1]))
                ),
            }
            for w in seasons["recommended_windows"]
        ],
        "demand_chart": chart(
            "bar",
            [m["abbr"] for m in months],
            [{"label": "Search demand (100 = an average month)", "data": [m["index"] for m in months]}],
        ),
        "has_demand": any(m["index"] is not None for m in months),
        "add_form": SeasonalEventForm(),
        "editing": None,
        **extra,
    }
    return render_dashboard(request, TEMPLATE, context, status=status)


@member_required
def calendar(request):
    return _page(request)


def _event_or_404(pk) -> SeasonalEvent:
    # Only this tenant's schema is searched, so another business's id is a 404 whoever asks.
    return get_object_or_404(SeasonalEvent, pk=pk)


def _done(request, notice: str):
    # htmx forms target the body (#dash-body): render_dashboard answers it alone.
    return _page(request, notice=notice) if request.htmx else redirect("dashboard_calendar")


@require_POST
@member_required(role=Membership.Role.OWNER)
def event_create_view(request):
    form = SeasonalEventForm(request.POST)
    event = form_apply(form, lambda data: seasonal_event_create(data=data))
    if event is None:
        return _page(request, status=400, add_form=form)
    return _done(request, f"Added “{event.name}”.")


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def event_edit_view(request, pk):
    event = _event_or_404(pk)
    if request.method == "GET":
        form = SeasonalEventForm.for_event(event)
        if request.htmx and request.htmx.target == f"event-{event.pk}":
            return render(
                request,
                f"{TEMPLATE}#event-edit",
                {"event": {"id": event.pk, "name": event.name}, "form": form},
            )
        return _page(request, editing=event.pk, edit_form=form)
    form = SeasonalEventForm.for_event(event, data=request.POST)
    updated = form_apply(form, lambda data: seasonal_event_update(event=event, data=data))
    if updated is None:
        return _page(request, status=400, editing=event.pk, edit_form=form)
    return _done(request, f"Saved “{updated.name}”.")


@require_POST
@member_required(role=Membership.Role.OWNER)
def event_delete_view(request, pk):
    event = _event_or_404(pk)
    seasonal_event_delete(event=event)
    return _done(request, f"Deleted “{event.name}”.")
