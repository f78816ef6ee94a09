"""Which tenant a request is for, and who the signed-in person is to that tenant."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http.request import split_domain_port
from django.shortcuts import render
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware

from billing.gating import billing_path_open, billing_suspended
from tenants.models import Domain, Tenant
from tenants.selectors import membership_get, public_tenant

SESSION_TENANT_KEY = "tenant"


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host → schema routing, with the public host known from settings and a
    friendly page (never a 500) for unknown, suspended or not-yet-live tenants."""

    def process_request(self, request):
        connection.set_schema_to_public()
        # The active time zone is per thread: reset it, so no request inherits the last tenant's.
        timezone.deactivate()
        try:
            hostname, _port = split_domain_port(request.get_host())
        except DisallowedHost:
            return render(request, "404.html", status=404)
        if hostname in self.public_hosts():
            tenant = public_tenant()
        else:
            domain = Domain.objects.select_related("tenant__config").filter(domain=hostname).first()
            tenant = domain.tenant if domain else None
            if tenant is not None and tenant.status == Tenant.Status.CANCELED:
                # Its data is kept (staff can reopen it from the admin's data view); the site is closed.
                return render(
                    request, "tenants/closed.html", {"tenant": tenant, "hostname": hostname}, status=404
                )
            if tenant is None or tenant.status not in (Tenant.Status.ACTIVE, Tenant.Status.SUSPENDED):
                return render(request, "404.html", {"hostname": hostname}, status=404)
            if tenant.status == Tenant.Status.SUSPENDED and not billing_path_open(tenant, request.path_info):
                return render(
                    request, "tenants/suspended.html",
                    {"tenant": tenant, "payment_due": billing_suspended(tenant)}, status=403,
                )  # fmt: skip
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        if not tenant.is_public:
            # Owners and customers read times in the business's own zone (a pickup at 9:00 in
            # Toronto, not 14:00 UTC); the public host and the admin stay in UTC.
            timezone.activate(ZoneInfo(tenant.config.timezone))
        self.setup_url_routing(request)

    @staticmethod
    def public_hosts() -> set[str]:
        return {settings.INKWELL_DOMAIN, "127.0.0.1", "[::1]"}


class MembershipMiddleware:
    """Sets `request.membership` (None when not a member of this tenant).

    On a tenant host only a session opened by signing in to that tenant counts: the session
    records its tenant, and any other session (another tenant's, the admin's) is signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public and request.user.is_authenticated:
            if request.session.get(SESSION_TENANT_KEY) != tenant.schema_name:
                logout(request)
                request.user = AnonymousUser()
            else:
                request.membership = membership_get(user=request.user, tenant=tenant)
        return self.get_response(request)
