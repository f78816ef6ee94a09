"""The tenant a staff page about one tenant's own data is for (contracts, website, ingestion, data)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from tenants.models import Tenant


def admin_tenant_or_404(model_admin, request, pk) -> Tenant:
    """The tenant staff may see (view permission; change permission to POST), spares excluded."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if request.method == "POST" and not model_admin.has_change_permission(request):
        raise PermissionDenied
    return get_object_or_404(model_admin.get_queryset(request).exclude(status=Tenant.Status.SPARE), pk=pk)
