"""Analytics ingestion in the staff back office.

Runs live in each tenant's schema, so they are reached through their tenant:
/admin/tenants/tenant/<pk>/ingestion/ lists the latest runs (connector, window, status, rows,
attempts, error) and each connector's state, and lets staff with change permission queue a
re-fetch of the trailing window for one connector.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from inkwell.errors import DomainError
from marketing.models import IngestionRun
from marketing.services.ingestion import ingestion_connectors, ingestion_run_now
from tenants.admin_tenant import admin_tenant_or_404

LATEST = 100


def tenant_ingestion_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""
    return [
        path(
            "<int:pk>/ingestion/",
            model_admin.admin_site.admin_view(
                lambda request, pk: tenant_ingestion_view(model_admin, request, pk)
            ),
            name="tenants_tenant_ingestion",
        ),
    ]


def tenant_ingestion_view(model_admin, request, pk):
    tenant = admin_tenant_or_404(model_admin, request, pk)
    with tenant_context(tenant):
        if request.method == "POST":
            connector = request.POST.get("connector", "")
            try:
                # The owner's "Run now" service: the same refusals (a run already going, the rate
                # limit) hold for staff, and the audit log names who asked.
                run = ingestion_run_now(tenant=tenant, connector=connector, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"{connector}: {run.window_start} … {run.window_end} queued for {tenant.name}."
                )
            return redirect("admin:tenants_tenant_ingestion", tenant.pk)
        runs = list(IngestionRun.objects.all()[:LATEST])
        connectors = ingestion_connectors(tenant=tenant)
    context = {
        **model_admin.admin_site.each_context(request),
        "tenant": tenant,
        "runs": runs,
        "connectors": connectors,
        "connector_settings": tenant.config.connectors,
        "can_change": model_admin.has_change_permission(request),
        "title": f"Analytics ingestion of {tenant.name}",
        "opts": model_admin.model._meta,
    }
    return TemplateResponse(request, "admin/tenants/tenant/ingestion.html", context)
