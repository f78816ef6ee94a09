"""The demo tenant's business profile, which the chat assistant's prompt is built from."""

from __future__ import annotations

from tenants.models import PROFILE_FIELDS, TenantConfig
from tenants.services.config import tenant_config_update

DEMO_PROFILE = {
    "about": (
        "Scilla Transport is a family-run vehicle shipping and moving company from Toronto. We ship cars, "
        "motorcycles and household goods across Canada and overseas, with door-to-door pickup."
    ),
    "services": (
        "Open and enclosed car shipping across Canada\nMotorcycle shipping\nShipping vehicles to Europe by sea\n"
        "Household moves, local and long distance"
    ),
    "service_area": "All of Canada from our Toronto yard; Europe through the ports of Halifax and Montreal.",
    "hours": "Monday to Friday 8:00–18:00, Saturday 9:00–13:00 (Toronto time). Closed on statutory holidays.",
}


def profile_demo_load(*, config: TenantConfig) -> bool:
    """Fill the demo tenant's business profile, once: fields someone has written are left alone.
    Returns whether anything was filled."""
    blank = {field: DEMO_PROFILE[field] for field in PROFILE_FIELDS if not getattr(config, field)}
    if blank:
        tenant_config_update(config=config, data=blank, actor=None)
    return bool(blank)
