"""Contracts in the staff back office.

The admin runs on the public host, in the public schema, where no tenant's contracts are visible.
So contracts are reached through their tenant: /admin/tenants/tenant/<pk>/contracts/ lists the
tenant's latest contracts and creates (and sends) one, inside that tenant's schema, through the same
services as the dashboard and the API, audited as the staff member. Each contract has a detail page
there (/admin/tenants/tenant/<pk>/contracts/<id>/) where staff move its shipment, resend or void it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from contracts.forms import ContractForm, VoidForm
from contracts.milestones import STEPS
from contracts.models import Contract
from contracts.selectors import contract_detail_or_404, contract_list
from contracts.services.contracts import contract_create, contract_send, contract_void
from contracts.services.events import Actor
from contracts.services.status import ALLOWED_TRANSITIONS
from contracts.services.tracking import contract_milestone_move, contract_timeline
from contracts.templatetags.tracking import milestone_choices
from contracts.views_tracking import MilestoneForm
from inkwell.errors import DomainError
from tenants.admin_tenant import admin_tenant_or_404

LATEST = 50


# --- a tenant's contracts, listed and created from the Tenant admin --------------------------
def tenant_contract_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""
    return [
        path(
            "<int:pk>/contracts/",
            model_admin.admin_site.admin_view(
                lambda request, pk: tenant_contracts_view(model_admin, request, pk)
            ),
            name="tenants_tenant_contracts",
        ),
        # one contract, its tracking and its audit trail
        path(
            "<int:pk>/contracts/<int:contract_id>/",
            model_admin.admin_site.admin_view(
                lambda request, pk, contract_id: tenant_contract_view(model_admin, request, pk, contract_id)
            ),
            name="tenants_tenant_contract",
        ),
    ]


def tenant_contracts_view(model_admin, request, pk):
    tenant = admin_tenant_or_404(model_admin, request, pk)
    form = ContractForm(request.POST or None, initial={"send_now": False})
    with tenant_context(tenant):
        if request.method == "POST" and form.is_valid():
            actor = Actor.from_request(request, type="staff")
            contract = contract_create(data=form.contract_data(), actor=actor)
            if form.cleaned_data["send_now"]:
                contract_send(contract=contract, actor=actor)
            verb = "created and sent" if form.cleaned_data["send_now"] else "created as a draft"
            messages.success(request, f"Contract {contract.reference} {verb} for {tenant.name}.")
            return redirect("admin:tenants_tenant_contracts", tenant.pk)
        contracts = list(contract_list()[:LATEST])
    context = {
        **model_admin.admin_site.each_context(request),
        "tenant": tenant,
        "contracts": contracts,
        "form": form,
        "can_change": model_admin.has_change_permission(request),
        "title": f"Contracts of {tenant.name}",
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(
        request, "admin/tenants/tenant/contracts.html", context, status=400 if form.errors else 200
    )


# --- one contract of a tenant — summary, tracking, audit trail, and staff's moves ----------
def _contract_action(request, contract: Contract, actor: Actor) -> str:
    """Apply the POSTed action to `contract` through its service; returns what to tell staff.
    Raises DomainError (e.g. a 409 for an illegal step) or ValidationError."""
    action = request.POST.get("action")
    if action in {"advance", "correct"}:
        form = MilestoneForm(request.POST)
        if not form.is_valid():
            raise ValidationError([m for messages in form.errors.values() for m in messages])
        # The form takes exactly one of step / correct_to; the button pressed says which is meant.
        data = {**form.cleaned_data, **({"correct_to": ""} if action == "advance" else {"step": ""})}
        milestone = contract_milestone_move(contract=contract, actor=actor, **data)
        label = STEPS[milestone.step].label
        if action == "advance":
            return f"{contract.reference}: “{label}” reached; the customer is being told."
        return f"{contract.reference}: corrected back to “{label}”."
    if action == "send":
        verb = (
            "sent"
            if contract.status == Contract.Status.DRAFT
            else "resent; the previous link no longer works"
        )
        contract_send(contract=contract, actor=actor)
        return f"{contract.reference} {verb}."
    if action == "void":
        form = VoidForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        contract_void(contract=contract, actor=actor, reason=reason)
        return f"{contract.reference} voided; its link no longer works."
    raise ValidationError("Unknown action.")


def tenant_contract_view(model_admin, request, pk, contract_id):
    tenant = admin_tenant_or_404(model_admin, request, pk)
    with tenant_context(tenant):
        contract = contract_detail_or_404(pk=contract_id)
        if request.method == "POST":
            actor = Actor.from_request(request, type="staff")
            try:
                messages.success(request, _contract_action(request, contract, actor))
            except DomainError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            return redirect("admin:tenants_tenant_contract", tenant.pk, contract.pk)
        allowed = ALLOWED_TRANSITIONS[contract.status]
        context = {
            **model_admin.admin_site.each_context(request),
            "tenant": tenant,
            "contract": contract,
            "timeline": contract_timeline(contract=contract),
            "choices": milestone_choices(contract),
            "events": list(contract.events.all()),
            "can_change": model_admin.has_change_permission(request),
            "can_send": Contract.Status.SENT in allowed,
            "can_void": Contract.Status.VOIDED in allowed,
            "title": f"{contract.reference} — {tenant.name}",
            "opts": model_admin.model._meta,
        }
        return TemplateResponse(request, "admin/tenants/tenant/contract.html", context).render()
