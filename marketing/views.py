"""Owner pages for leads (/leads/): list with filters and inline status change, detail with its
history, CSV export and import. Members of the business use them; writes go through the services."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from contracts.forms import ContractForm
from contracts.services.events import Actor
from inkwell.errors import Conflict, RateLimited
from inkwell.ratelimit import client_address
from marketing.forms import LeadFilterForm, LeadImportForm, LeadStatusForm, QuoteForm
from marketing.models import Lead
from marketing.selectors import lead_detail_or_404, lead_list, site_nav
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


def _filtered(request):
    form = LeadFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    leads = lead_list(
        search=filters.get("q", ""), status=filters.get("status", ""), source=filters.get("source", "")
    )
    return form, leads


def _with_choices(lead: Lead) -> Lead:
    """The statuses the lead can move to, for its inline select (its own first)."""
    lead.status_choices = [
        (value, label)
        for value, label in Lead.Status.choices
        if value == lead.status or value in ALLOWED_TRANSITIONS[lead.status]
    ]
    return lead


@member_required
def lead_list_view(request):
    form, leads = _filtered(request)
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    for lead in page.object_list:
        _with_choices(lead)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "marketing/list.html", {"form": form, "page": page, "query": query.urlencode()})


@member_required
def lead_detail_view(request, pk):
    lead = _with_choices(lead_detail_or_404(pk=pk))
    return render(
        request,
        "marketing/detail.html",
        {"lead": lead, "status_form": LeadStatusForm(initial={"status": lead.status})},
    )


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


@require_POST
@member_required
def lead_status_view(request, pk):
    """Change a lead's status: from the detail page (redirects back) or inline in the list (HTMX:
    answers the row)."""
    lead = lead_detail_or_404(pk=pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        raise Conflict("Choose one of the statuses offered.")
    inline = request.headers.get("HX-Request") == "true"
    if form.cleaned_data["status"] != lead.status:
        lead = lead_status_set(
            lead=lead,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            actor=_actor(request),
        )
        if not inline:
            messages.success(request, f"{lead.name} is now {lead.get_status_display().lower()}.")
    if inline:
        return render(request, "marketing/_row.html", {"lead": _with_choices(lead)})
    return redirect("lead_detail", pk=lead.pk)


class _Echo:
    def write(self, value):
        return value


@member_required
def lead_export_view(request):
    """Every lead matching the list's filters, as CSV (streamed: no page size)."""
    _, leads = _filtered(request)
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
