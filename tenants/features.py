"""Feature toggles: an area a tenant has switched off answers 404, for its pages and its API alike.

One rule, by URL: an area `x` lives under `/x/` and `/api/v1/x/`, and is on when the tenant's
configuration has `feature_x` set. A later area (contracts, chat, ...) following that layout is
gated without another line. The settings page, where areas are switched back on, is always reachable.
"""

from django.http import Http404

from tenants.models import TenantConfig

TOGGLES = frozenset(f.name for f in TenantConfig._meta.fields if f.name.startswith("feature_"))
API_PREFIX = "/api/v1/"
ALWAYS_REACHABLE = ("/dashboard/settings/",)


def feature_for_path(path: str) -> str | None:
    """The TenantConfig toggle guarding `path`, or None when no toggle does."""
    if path.startswith(ALWAYS_REACHABLE):
        return None
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) - 1 :]
    area = path.strip("/").split("/", 1)[0]
    field = f"feature_{area}"
    return field if field in TOGGLES else None


def area_is_on(tenant, path: str) -> bool:
    """Whether `path` on `tenant` is in an area that is switched on (or in no switchable area)."""
    field = feature_for_path(path)
    return field is None or getattr(tenant.config, field)


class FeatureGateMiddleware:
    """404 for a switched-off area on a tenant host (the same answer as a page that does not exist)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public and not area_is_on(tenant, request.path_info):
            raise Http404("This area is switched off.")
        return self.get_response(request)
