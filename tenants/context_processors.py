from django.conf import settings
from django.urls import reverse

from tenants.selectors import public_url


def tenant(request):
    # Where a person who doesn't know their business's address can ask for it (the public host).
    links = {
        "find_workspace_url": public_url(reverse("workspace_find", urlconf=settings.PUBLIC_SCHEMA_URLCONF))
    }
    current = getattr(request, "tenant", None)
    if current is None or current.is_public:
        return {"tenant": current, "brand": None, **links}
    return {
        "tenant": current,
        "brand": current.config,
        "membership": getattr(request, "membership", None),
        **links,
    }
