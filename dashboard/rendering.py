"""Rendering dashboard pages: the whole page, or only its body for htmx; chart data for charts.js."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.template.loader import render_to_string

BODY_TARGET = "dash-body"
RANGE_PARAMS = {"range", "start", "end", "compare", "page"}


def render_dashboard(request, template: str, context: dict, status: int = 200):
    """The whole page, or only its body when htmx asks for the body (a range or filter change). The
    range picker keeps the page's other filters (a search, a sort); a new range starts at page 1."""
    context.setdefault("range_keep", range_keep(request))
    if not (request.htmx and request.htmx.target == BODY_TARGET):
        return render(request, template, context, status=status)
    response = render(request, f"{template}#body", context, status=status)
    if "range" in context:  # the period shown (outside the body) follows it
        status_html = render_to_string("dashboard/_range_status.html", {**context, "oob": True}, request)
        response.content += status_html.encode()
    return response


def range_keep(request) -> list[tuple[str, str]]:
    """The page's GET parameters the period picker keeps (all but the range's own and the page)."""
    return [(k, v) for k, values in request.GET.lists() if k not in RANGE_PARAMS for v in values]


def chart(kind: str, labels: list, datasets: list[dict]) -> dict:
    """What dashboard/charts.js draws (passed through json_script): no code, only data."""
    return {"type": kind, "labels": labels, "datasets": datasets}


def form_apply(form, write):
    """Run `write(cleaned_data)` (a service) on a valid form and return its result; the service's
    field errors land on the form, and None is returned when the form or the service refused."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
