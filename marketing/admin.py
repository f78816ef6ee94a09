"""Website pages in the staff back office.

Like contracts (see contracts/admin.py), a tenant's pages live in its own schema, so the admin
reaches them through the tenant: /admin/tenants/tenant/<pk>/pages/ lists them and makes new ones,
/admin/tenants/tenant/<pk>/pages/<id>/ edits, publishes, unpublishes and restores, through the same
services as the owner's editor, recorded as the staff member.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django_tenants.utils import tenant_context

from contracts.services.events import Actor
from inkwell.errors import DomainError
from marketing.forms import PageForm
from marketing.selectors import page_detail_or_404, page_list
from marketing.services.pages import (
    page_create,
    page_restore,
    page_save_and_publish,
    page_unpublish,
    page_update,
)
from tenants.admin_tenant import admin_tenant_or_404


def tenant_page_urls(model_admin) -> list:
    """URLs the TenantAdmin mounts under /admin/tenants/tenant/."""

    def view(function):
        return model_admin.admin_site.admin_view(
            lambda request, **kwargs: function(model_admin, request, **kwargs)
        )

    return [
        path("<int:pk>/pages/", view(tenant_pages_view), name="tenants_tenant_pages"),
        path("<int:pk>/pages/<int:page_id>/", view(tenant_page_view), name="tenants_tenant_page"),
    ]


def _context(model_admin, request, tenant, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "tenant": tenant,
        "can_change": model_admin.has_change_permission(request),
        "opts": model_admin.model._meta,
        **extra,
    }


def tenant_pages_view(model_admin, request, pk):
    tenant = admin_tenant_or_404(model_admin, request, pk)
    form = PageForm(request.POST or None, request.FILES or None)
    with tenant_context(tenant):
        if request.method == "POST" and form.is_valid():
            try:
                page = page_create(data=form.page_data(), actor=Actor.from_request(request, type="staff"))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"“{page.title}” saved as a draft for {tenant.name}.")
                return redirect("admin:tenants_tenant_page", tenant.pk, page.pk)
        pages = list(page_list())
    context = _context(
        model_admin, request, tenant, pages=pages, form=form, title=f"Website of {tenant.name}"
    )
    return TemplateResponse(
        request, "admin/tenants/tenant/pages.html", context, status=400 if form.errors else 200
    )


def tenant_page_view(model_admin, request, pk, page_id):
    tenant = admin_tenant_or_404(model_admin, request, pk)
    with tenant_context(tenant):
        page = page_detail_or_404(pk=page_id)
        form = PageForm(request.POST or None, request.FILES or None, instance=page)
        if request.method == "POST":
            actor = Actor.from_request(request, type="staff")
            action = request.POST.get("action", "save")
            try:
                if action == "unpublish":
                    page_unpublish(page=page, actor=actor)
                    messages.success(request, f"{page.path} is off the site.")
                elif action == "restore":
                    revision = get_object_or_404(page.revisions, number=request.POST.get("number"))
                    page_restore(revision=revision, actor=actor)
                    messages.success(request, f"Revision {revision.number} is back as the draft.")
                elif form.is_valid():
                    save = page_save_and_publish if action == "publish" else page_update
                    save(page=page, data=form.page_data(), actor=actor)
                    messages.success(request, "Published." if action == "publish" else "Saved as a draft.")
                else:
                    raise ValidationError("Please correct the fields below.")
            except DomainError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    form.add_service_errors(exc)
                else:
                    messages.error(request, " ".join(exc.messages))
            if not form.errors:
                return redirect("admin:tenants_tenant_page", tenant.pk, page.pk)
        page = page_detail_or_404(pk=page_id)
        context = _context(
            model_admin, request, tenant, page=page, form=form, revisions=list(page.revisions.all()[:30]),
            title=f"{page.title} — {tenant.name}",
        )  # fmt: skip
        return TemplateResponse(
            request, "admin/tenants/tenant/page.html", context, status=400 if form.errors else 200
        ).render()
