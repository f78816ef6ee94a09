"""Agents' proposals (the approvals queue) in the staff back office.

The admin runs in the public schema, where no tenant's approvals are visible, so they are reached
through their tenant: /admin/tenants/tenant/<pk>/approvals/ lists the tenant's proposals (read-only:
the agent, what it proposed, the diff, who decided), and staff with change permission may approve or
reject a pending one. Both go through the same services as the owner's page, audited as the staff
member, `via` "admin".
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from chat.selectors_approvals import approval_list
from chat.services.approvals import approval_approve, approval_reject
from inkwell.errors import DomainError
from tenants.admin_tenant import admin_tenant_or_404

LATEST = 100
ACTIONS = {"approve": (approval_approve, "approved and applied"), "reject": (approval_reject, "rejected")}


def tenant_approval_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""
    return [
        path(
            "<int:pk>/approvals/",
            model_admin.admin_site.admin_view(
                lambda request, pk: tenant_approvals_view(model_admin, request, pk)
            ),
            name="tenants_tenant_approvals",
        )
    ]


def tenant_approvals_view(model_admin, request, pk):
    tenant = admin_tenant_or_404(model_admin, request, pk)  # POST needs change permission
    with tenant_context(tenant):
        if request.method == "POST":
            action = ACTIONS.get(request.POST.get("action", ""))
            if action is None:
                messages.error(request, "Unknown action.")
            else:
                decide, done = action
                try:
                    approval = decide(
                        approval_id=request.POST.get("approval"), user=request.user, via="admin"
                    )
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"“{approval.summary}” {done} for {tenant.name}.")
            return redirect("admin:tenants_tenant_approvals", tenant.pk)
        approvals = list(approval_list()[:LATEST])
    context = {
        **model_admin.admin_site.each_context(request),
        "tenant": tenant,
        "approvals": approvals,
        "can_change": model_admin.has_change_permission(request),
        "title": f"Agents’ proposals for {tenant.name}",
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/tenants/tenant/approvals.html", context)
