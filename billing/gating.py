"""Plan gating on the server: an area the tenant's plan does not include answers with an upgrade
prompt (a page, or 403 `plan_upgrade_required` from the API), whatever its toggle says. Areas are
found by URL exactly as the feature toggles find them (tenants/features.py), so pages and API share
one rule. Agent tools (later) ask `billing.plans.plan_allows` directly.

Also: which paths a tenant suspended for non-payment still opens (sign-in and its billing page, so
its owner can pay), used by the tenant middleware.
"""

from django.http import JsonResponse
from django.shortcuts import render

from billing.error_codes import BillingErrorCode
from billing.models import Subscription
from billing.plans import FEATURE_LABELS, cheapest_plan_with, plan_allows
from inkwell.errors import error_body
from tenants.features import API_PREFIX, feature_for_path

PAY_PATHS = ("/sign-in/", "/billing/", "/theme.css", "/favicon.ico")


def billing_suspended(tenant) -> bool:
    """Whether `tenant` is suspended for an unpaid subscription (rather than by staff)."""
    return Subscription.objects.filter(
        tenant=tenant, status__in=(Subscription.Status.PAST_DUE, Subscription.Status.UNPAID)
    ).exists()


def billing_path_open(tenant, path: str) -> bool:
    """Whether `path` stays reachable on suspended `tenant`: only the way to pay, and only when unpaid
    bills are why it is suspended."""
    return path.startswith(PAY_PATHS) and billing_suspended(tenant)


def upgrade_response(request, feature: str):
    label = FEATURE_LABELS.get(feature, feature.replace("_", " ").capitalize())
    plan = cheapest_plan_with(feature)
    message = f"{label} is not part of your plan." + (f" Upgrade to {plan.name} to use it." if plan else "")
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(error_body(BillingErrorCode.PLAN_UPGRADE_REQUIRED, message), status=403)
    context = {"label": label, "plan": plan, "message": message}
    return render(request, "billing/upgrade.html", context, status=403)


class PlanGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_public and tenant.plan:
            field = feature_for_path(request.path_info)
            if field is not None:
                feature = field.removeprefix("feature_")
                if not plan_allows(tenant=tenant, feature=feature):
                    return upgrade_response(request, feature)
        return self.get_response(request)
