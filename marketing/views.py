"""Owner pages for leads (/leads/): list with filters and inline status change, detail with its
history, CSV export and import. Members of the business use them; writes go through the services."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from contracts.forms import ContractForm
from contracts.services.events import Actor
from dashboard.ranges import DashboardRange, range_from_request
from dashboard.rendering import RANGE_PARAMS, chart, render_dashboard
from inkwell.errors import Conflict, DomainError, RateLimited
from inkwell.ratelimit import client_address
from marketing.error_codes import MarketingErrorCode
from marketing.forms import LeadFilterForm, LeadImportForm, LeadStatusForm, QuoteForm
from marketing.metrics import local_bounds
from marketing.models import Lead
from marketing.selectors import lead_board, lead_detail_or_404, lead_list, lead_source_counts, site_nav
from marketing.services.leads import (
    ALLOWED_TRANSITIONS,
    lead_contract_initial,
    lead_convert,
    lead_create,
    lead_status_set,
)
from marketing.services.spam import STAMP_FIELD, SpamRejected, origin_check, stamp_mark_used, submission_check
from marketing.services.spreadsheet import IMPORT_COLUMNS, LeadImportInvalid, leads_csv_rows, leads_import
from marketing.site import page_for_path, page_render, placeholder_home
from tenants.permissions import member_required

PAGE_SIZE = 50


def _actor(request) -> Actor:
    return Actor.from_request(request, type="owner")


def _filters(request) -> tuple[LeadFilterForm, dict, DashboardRange]:
    """The list's filters from the URL: the form (bad values are ignored), its clean values and the
    period (leads received on the tenant's local days of the range; "All time" by default)."""
    form = LeadFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    chosen = range_from_request(request, all_time=True)
    return form, filters, chosen


def _leads(request, filters: dict, chosen: DashboardRange, *, source: bool = True):
    return lead_list(
        search=filters.get("q", ""),
        status=filters.get("status", ""),
        source=filters.get("source", "") if source else "",
        created_between=local_bounds(request.tenant, chosen.period) if chosen.period else None,
    )


def _with_choices(lead: Lead) -> Lead:
    """The statuses the lead can move to, for its inline select (its own first)."""
    lead.status_choices = [
        (value, label)
        for value, label in Lead.Status.choices
        if value == lead.status or value in ALLOWED_TRANSITIONS[lead.status]
    ]
    return lead


RESULTS_TARGET = "lead-results"
PANEL_TARGET = "lead-panel"


@member_required
def lead_list_view(request):
    """The owner's leads: a table (paginated) or the pipeline board (`?view=board`) of the leads
    matching the filters, with leads per source. Three queries for either view, whatever the
    number of leads. htmx gets the results alone (a filter, a page, the view) or the body (a new
    period); without JavaScript the forms and links load the page."""
    form, filters, chosen = _filters(request)
    view = filters.get("view") or "table"
    leads = _leads(request, filters, chosen)
    context = {"form": form, "range": chosen, "view": view, "back": request.get_full_path()}
    if view == "board":
        board = lead_board(leads=leads)
        for column in board:
            for lead in column["leads"]:
                _with_choices(lead)
        context |= {"board": board, "total": sum(column["count"] for column in board)}
    else:
        page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
        for lead in page.object_list:
            _with_choices(lead)
        context |= {"page": page, "total": page.paginator.count}
    # Per source over the same period, status and search, the source filter left out: the chart
    # shows where leads come from and each source is a link to filter by it.
    sources = lead_source_counts(leads=_leads(request, filters, chosen, source=False))
    context |= {
        "sources": sources,
        "source_chart": chart(
            "bar", [label for _, label, _ in sources], [{"label": "Leads", "data": [n for *_, n in sources]}]
        ),
        "selected_source": filters.get("source", ""),
        "range_fields": [(k, v) for k in ("range", "start", "end") for v in request.GET.getlist(k)],
    }
    if request.htmx and request.htmx.target == RESULTS_TARGET:
        context["range_keep"] = [
            (k, v) for k, values in request.GET.lists() if k not in RANGE_PARAMS for v in values
        ]
        response = render(request, "marketing/list.html#results", context)
        # The period picker keeps the filters through hidden inputs: give it the new ones.
        picker = render_to_string("dashboard/_range.html", {**context, "oob": True}, request)
        response.content += picker.encode()
        return response
    return render_dashboard(request, "marketing/list.html", context)


@member_required
def lead_detail_view(request, pk):
    """A lead with its history: its own page, or (htmx into the list's panel) the panel alone."""
    lead = _with_choices(lead_detail_or_404(pk=pk))
    in_panel = bool(request.htmx and request.htmx.target == PANEL_TARGET)
    context = {
        "lead": lead,
        "status_form": LeadStatusForm(initial={"status": lead.status}),
        "in_panel": in_panel,
    }
    return render(request, "marketing/detail.html#panel" if in_panel else "marketing/detail.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def lead_contract_view(request, pk):
    """A contract for a won lead: the contract form, pre-filled from the lead."""
    if not request.tenant.config.feature_contracts:
        raise Http404("Contracts are switched off.")
    lead = lead_detail_or_404(pk=pk)
    form = ContractForm(request.POST or None, initial=lead_contract_initial(lead=lead))
    if request.method == "POST" and form.is_valid():
        send = form.cleaned_data["send_now"]
        contract = lead_convert(
            lead=lead, contract_data=form.contract_data(), send=send, actor=_actor(request)
        )
        sent = f" and sent to {contract.customer_name}" if send else " as a draft"
        messages.success(request, f"Contract {contract.reference} created from this lead{sent}.")
        return redirect("contract_detail", pk=contract.pk)
    status = 400 if form.errors else 200
    return render(request, "contracts/create.html", {"form": form, "lead": lead}, status=status)


def _shown_as(request) -> str | None:
    """Where an inline status change came from: the list's row (the default for htmx), a board
    card or the detail panel; None for a plain form post."""
    if not request.htmx:
        return None
    target = request.htmx.target or ""
    if target == PANEL_TARGET:
        return "panel"
    return "card" if target.startswith("card-") else "row"


def _back(request) -> str:
    """Where a plain form post goes back to: the list it came from (same host), else the lead."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return ""


@require_POST
@member_required
def lead_status_view(request, pk):
    """Change a lead's status through lead_status_set (so it is in the history): from the detail
    page or the list without JavaScript (redirects back), or inline with htmx from a table row, a
    board card or the detail panel (answers that piece; a status that isn't offered answers it
    with the error, 400, and changes nothing)."""
    lead = lead_detail_or_404(pk=pk)
    form = LeadStatusForm(request.POST)
    shown = _shown_as(request)
    error, changed = "", False
    if not form.is_valid():
        error = "Choose one of the statuses offered."
        if shown is None:
            raise DomainError(error, code=MarketingErrorCode.STATUS_UNKNOWN)
    elif form.cleaned_data["status"] != lead.status:
        try:
            lead = lead_status_set(
                lead=lead,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                actor=_actor(request),
            )
        except Conflict as exc:
            if shown is None:
                raise
            error = exc.message  # e.g. someone else moved it meanwhile: this page offered a stale move
        else:
            changed = True
            if shown is None:
                messages.success(request, f"{lead.name} is now {lead.get_status_display().lower()}.")
    if shown is None:
        return redirect(_back(request) or reverse("lead_detail", args=[lead.pk]))
    context = {"error": error, "back": _back(request), "in_panel": request.POST.get("panel") == "1"}
    if shown == "panel":
        lead = lead_detail_or_404(pk=pk)
        context["status_form"] = LeadStatusForm(initial={"status": lead.status})
    context["lead"] = _with_choices(lead)
    template = {
        "row": "marketing/_row.html",
        "card": "marketing/_card.html",
        "panel": "marketing/detail.html#panel",
    }
    response = render(request, template[shown], context, status=400 if error else 200)
    if changed:
        response["HX-Trigger"] = "lead-changed"  # the list reloads its results (board columns, counts)
    return response


class _Echo:
    def write(self, value):
        return value


@member_required
def lead_export_view(request):
    """Every lead matching the list's filters and period, as CSV (streamed: no page size)."""
    _, filters, chosen = _filters(request)
    leads = _leads(request, filters, chosen)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in leads_csv_rows(leads.iterator())),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="leads-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@member_required
def lead_import_view(request):
    form = LeadImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            created, merged = leads_import(text=form.cleaned_data["file"], actor=_actor(request))
        except LeadImportInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Imported {created} new lead(s); {merged} matched an existing lead.")
            return redirect("lead_list")
    status = 400 if (errors or form.errors) else 200
    context = {"form": form, "errors": errors, "columns": IMPORT_COLUMNS}
    return render(request, "marketing/import.html", context, status=status)


# --- The public quote form (on every landing page, posted to /quote/) --------------------------------


def _quote_refused(request, form, *, stamp_kept: bool = True, error: str = "", status: int = 400):
    """The page the form was on, shown again with the visitor's values and what went wrong."""
    view = page_for_path(form.data.get("landing_page", "")) or placeholder_home(request.tenant)
    stamp = request.POST.get(STAMP_FIELD, "") if stamp_kept else ""  # "" issues a fresh one
    return page_render(request, view, form=form, stamp=stamp, status=status, quote_error=error)


@csrf_exempt
@require_POST
def quote_submit_view(request):
    """A visitor asks for a quote: spam checks first (nothing is stored when they refuse), then the
    lead pipeline, which merges duplicates and tells the owner about a new lead.

    No CSRF token: a visitor has no session for a forged post to ride on, and without a per-visitor
    token and cookie the page stays cacheable. Another site's page posting here is refused by the
    same-site check, and a form is sent once: its signed stamp names this tenant and a nonce."""
    form = QuoteForm(request.POST)
    try:
        origin_check(
            origin=request.headers.get("Origin"),
            fetch_site=request.headers.get("Sec-Fetch-Site"),
            host=request.get_host(),
        )
        submission_check(data=request.POST, ip=client_address(request))
    except RateLimited as exc:
        response = _quote_refused(request, form, error=exc.message, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except SpamRejected as exc:
        # An expired or forged stamp gets a fresh one; a quick sender keeps theirs, time runs on.
        keep = exc.code not in ("form_stamp", "form_stale", "form_reused")
        return _quote_refused(request, form, stamp_kept=keep, error=exc.message)
    if not form.is_valid():
        return _quote_refused(request, form)
    actor = Actor(
        type="customer",
        label="quote form",
        ip=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    try:
        lead_create(data={**form.cleaned_data, "source": Lead.Source.FORM}, actor=actor)
    except ValidationError as exc:
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _quote_refused(request, form)
    stamp_mark_used(request.POST[STAMP_FIELD])
    back_to = page_for_path(form.cleaned_data["landing_page"])
    context = {
        "name": form.cleaned_data["name"],
        "nav": site_nav(),
        "back_to": back_to.path if back_to else "/",
    }
    return render(request, "marketing/quote_thanks.html", context)
