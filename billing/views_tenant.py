"""Tenant-host billing pages (owners only): the plan and its state, and the way to Stripe's Billing
Portal (change plan, card, cancel; the results come back through webhooks)."""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from billing import gateway, simulate
from billing.error_codes import BillingErrorCode
from billing.plans import PLANS, plan_get
from billing.selectors import subscription_of
from billing.services.subscriptions import past_due_notice
from billing.services.webhooks import webhook_receive
from inkwell.errors import DomainError, ServiceUnavailable
from tenants.models import Membership
from tenants.permissions import member_required

owner_required = member_required(role=Membership.Role.OWNER)


@owner_required
def billing_home(request):
    sub = subscription_of(request.tenant)
    context = {
        "subscription": sub,
        "plan": plan_get(request.tenant.plan or ""),
        "notice": past_due_notice(tenant=request.tenant),
        "test_mode": settings.BILLING_BACKEND == "local",
    }
    return render(request, "billing/billing_home.html", context)


@require_POST
@owner_required
def billing_portal(request):
    sub = subscription_of(request.tenant)
    if sub is None or not sub.customer_id:
        raise DomainError(
            "This workspace has no subscription to manage; write to Inkwell support.",
            code=BillingErrorCode.NO_SUBSCRIPTION,
        )
    try:
        url = gateway.portal_session_create(tenant=request.tenant, customer_id=sub.customer_id)
    except gateway.ProviderError as exc:
        raise ServiceUnavailable(
            "We could not reach the payment provider. Try again in a minute.",
            code=BillingErrorCode.PROVIDER_UNAVAILABLE,
        ) from exc
    return HttpResponseRedirect(url, status=303)


ACTIONS = {"fail": "past_due", "unpaid": "unpaid", "pay": "active", "cancel": "canceled"}


@require_http_methods(["GET", "POST"])
@owner_required
def billing_test_portal(request):
    """The offline backend's stand-in for Stripe's Billing Portal, clearly marked as a test: each button
    sends the signed events Stripe would send for a plan change, a failed or paid invoice, a cancellation."""
    sub = subscription_of(request.tenant)
    if settings.BILLING_BACKEND != "local" or sub is None:
        raise Http404("No test portal here.")
    if request.method == "POST":
        plan = request.POST.get("plan")
        action = request.POST.get("action", "")
        simulate.subscription_change(
            subscription_id=sub.stripe_id,
            plan_code=plan if plan in PLANS else None,
            status=ACTIONS.get(action),
            deliver=lambda body, signature: webhook_receive(payload=body, signature=signature),
        )
        return HttpResponseRedirect("/billing/", status=303)
    return render(request, "billing/test_portal.html", {"subscription": sub, "plans": PLANS.values()})
