from billing.services.subscriptions import past_due_notice


def billing(request):
    """The past-due banner, on a tenant's pages for its members."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public or getattr(request, "membership", None) is None:
        return {}
    if not tenant.plan:  # made by staff, not sold through billing: no subscription to fall behind on
        return {}
    return {"billing_notice": past_due_notice(tenant=tenant)}
