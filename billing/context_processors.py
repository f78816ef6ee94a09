from billing.services.subscriptions import past_due_notice


def billing(request):
    """The past-due banner, on a tenant's pages for its members."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public or getattr(request, "membership", None) is None:
        return {}
    return {"billing_notice": past_due_notice(tenant=tenant)}
