"""Owner dashboard pages (HTMX). Later issues add SEO, leads, campaigns and the calendar."""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tenants.forms import TenantConfigForm
from tenants.models import Membership
from tenants.permissions import member_required
from tenants.services.config import tenant_config_update


@member_required
def overview(request):
    return render(request, "dashboard/overview.html")


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def settings_view(request):
    config = request.tenant.config
    form = TenantConfigForm(request.POST or None, request.FILES or None, instance=config)
    saved = False
    if request.method == "POST" and form.is_valid():
        tenant_config_update(config=config, data=form.cleaned_data, actor=request.user)
        saved = True
        form = TenantConfigForm(instance=config)
    template = "dashboard/settings.html#config-form" if request.htmx else "dashboard/settings.html"
    status = 400 if form.errors else 200
    return render(request, template, {"form": form, "saved": saved}, status=status)
