"""Staff back office: paste a service-account key for a tenant's Google connectors. The key is
stored encrypted in TenantConfig.connector_secrets and never shown back, not even in part."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path

from marketing.forms_google import ServiceAccountKeyForm
from marketing.services.google_connect import google_connection, google_service_account_set


def google_key_urls(model_admin) -> list:
    """URL patterns for TenantAdmin.get_urls()."""

    def view(request, pk):
        if not model_admin.has_change_permission(request):
            raise PermissionDenied
        tenant = get_object_or_404(model_admin.get_queryset(request), pk=pk)
        form = ServiceAccountKeyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            google_service_account_set(
                tenant=tenant,
                connector=form.cleaned_data["connector"],
                info=form.cleaned_data["key_json"],
                actor=request.user,
            )
            email = form.cleaned_data["key_json"]["client_email"]
            messages.success(request, f"Service account {email} stored for {tenant} (encrypted).")
            return redirect("admin:tenants_tenant_change", tenant.pk)
        stored = sorted(tenant.config.connector_secrets or {})
        context = {
            **model_admin.admin_site.each_context(request),
            "form": form,
            "tenant": tenant,
            "stored": stored,
            "connection": google_connection(tenant=tenant),
            "title": f"Google service-account key for {tenant.name}",
            "opts": model_admin.model._meta,
        }
        return TemplateResponse(request, "admin/marketing/google_key.html", context)

    return [
        path(
            "<int:pk>/google-key/", model_admin.admin_site.admin_view(view), name="tenants_tenant_google_key"
        ),
    ]
