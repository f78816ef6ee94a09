"""Contracts in the staff back office.

The admin runs on the public host, in the public schema, where no tenant's contracts are visible.
So contracts are reached through their tenant: /admin/tenants/tenant/<pk>/contracts/ lists the
tenant's latest contracts and creates (and sends) one, inside that tenant's schema, through the same
services as the dashboard and the API, audited as the staff member.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from contracts.forms import ContractForm
from contracts.selectors import contract_list
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from tenants.models import Tenant

LATEST = 50


# --- c-api: a tenant's contracts, listed and created from the Tenant admin --------------------------
def tenant_contract_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""
    return [
        path(
            "<int:pk>/contracts/",
            model_admin.admin_site.admin_view(
                lambda request, pk: tenant_contracts_view(model_admin, request, pk)
            ),
            name="tenants_tenant_contracts",
        )
    ]


def tenant_contracts_view(model_admin, request, pk):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method == "POST" and not model_admin.has_change_permission(request):
        raise PermissionDenied
    tenant = get_object_or_404(model_admin.get_queryset(request).exclude(status=Tenant.Status.SPARE), pk=pk)
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
