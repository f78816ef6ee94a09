"""Owner pages for contracts (/contracts/): list, create, detail with the audit trail, resend, void,
and the sealed PDF. Members of the business use them; every write goes through contracts.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from contracts.forms import ContractFilterForm, ContractForm, PortalSettingsForm, TermsForm, VoidForm
from contracts.milestones import STEPS
from contracts.models import Contract, PortalSettings
from contracts.selectors import contract_detail_or_404, contract_list
from contracts.services.contracts import (
    contract_create,
    contract_send,
    contract_template_current,
    contract_void,
)
from contracts.services.events import Actor
from contracts.services.settings import contract_terms_update, portal_settings_update
from contracts.services.status import ALLOWED_TRANSITIONS
from tenants.permissions import member_required

PAGE_SIZE = 25
S = Contract.Status


def _actor(request) -> Actor:
    return Actor.from_request(request, type="owner")


@member_required
def contract_list_view(request):
    form = ContractFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    contracts = contract_list(
        search=filters.get("q", ""), status=filters.get("status", ""), milestone=filters.get("milestone")
    )
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    for contract in page.object_list:
        contract.milestone_label = "" if contract.milestone is None else STEPS[contract.milestone].label
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "contracts/list.html", {"form": form, "page": page, "query": query.urlencode()})


@require_http_methods(["GET", "POST"])
@member_required
def contract_create_view(request):
    form = ContractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actor = _actor(request)
        contract = contract_create(data=form.contract_data(), actor=actor)
        if form.cleaned_data["send_now"]:
            contract_send(contract=contract, actor=actor)
            messages.success(
                request, f"Contract {contract.reference} created and sent to {contract.customer_name}."
            )
        else:
            messages.success(request, f"Contract {contract.reference} saved as a draft.")
        return redirect("contract_detail", pk=contract.pk)
    return render(request, "contracts/create.html", {"form": form}, status=400 if form.errors else 200)


@member_required
def contract_detail_view(request, pk):
    contract = contract_detail_or_404(pk=pk)
    allowed = ALLOWED_TRANSITIONS[contract.status]
    context = {
        "contract": contract,
        "can_send": S.SENT in allowed,
        "can_void": S.VOIDED in allowed,
        "void_form": VoidForm(),
    }
    return render(request, "contracts/detail.html", context)


@require_POST
@member_required
def contract_send_view(request, pk):
    contract = contract_detail_or_404(pk=pk)
    verb = "sent" if contract.status == S.DRAFT else "resent (the previous link no longer works)"
    contract = contract_send(contract=contract, actor=_actor(request))
    messages.success(request, f"Contract {contract.reference} {verb}.")
    return redirect("contract_detail", pk=contract.pk)


@require_POST
@member_required
def contract_void_view(request, pk):
    form = VoidForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    contract = contract_void(contract=contract_detail_or_404(pk=pk), actor=_actor(request), reason=reason)
    messages.success(request, f"Contract {contract.reference} voided; its link no longer works.")
    return redirect("contract_detail", pk=contract.pk)


@member_required
def contract_pdf_view(request, pk):
    """The sealed PDF, to members only (never a public media URL)."""
    contract = contract_detail_or_404(pk=pk)
    if not contract.sealed_pdf:
        raise Http404("This contract has no sealed PDF yet.")
    return FileResponse(  # not cached: PRIVATE_PREFIXES (inkwell/headers.py) holds /contracts/
        contract.sealed_pdf.open("rb"),
        as_attachment=True,
        filename=f"{contract.reference}.pdf",
        content_type="application/pdf",
    )


@require_http_methods(["GET", "POST"])
@member_required(role="owner")
def contract_settings_view(request):
    """The owner's portal settings and contract terms, each saved by its own form."""
    portal = PortalSettings.load()
    template = contract_template_current()
    which = request.POST.get("form") if request.method == "POST" else None
    settings_form = PortalSettingsForm(request.POST if which == "settings" else None, instance=portal)
    terms_form = TermsForm(
        request.POST if which == "terms" else None,
        initial={"title": template.title, "terms": template.terms, "consent_text": template.consent_text},
    )
    if which == "settings" and settings_form.is_valid():
        portal_settings_update(data=settings_form.cleaned_data, actor=_actor(request))
        messages.success(request, "Portal settings saved.")
        return redirect("contract_settings")
    if which == "terms" and terms_form.is_valid():
        published = contract_terms_update(**terms_form.cleaned_data, actor=_actor(request))
        messages.success(
            request, f"Terms saved as version {published.version}; contracts already sent keep theirs."
        )
        return redirect("contract_settings")
    context = {"settings_form": settings_form, "terms_form": terms_form, "template": template}
    invalid = settings_form.errors or terms_form.errors
    return render(request, "contracts/settings.html", context, status=400 if invalid else 200)
