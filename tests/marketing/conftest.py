"""Lead fixtures: leads made through the real service, inside a tenant's schema."""

import pytest
from django_tenants.utils import tenant_context

from contracts.services.events import Actor

LEAD_DATA = dict(
    name="Marco Rossi",
    phone="416 555 0188",
    email="Marco@Example.com",
    service_type="roro",
    origin="Vaughan, ON",
    destination="Palermo, Italy",
    vehicle="2018 Jeep Cherokee",
    message="Moving back home in spring.",
    consent=True,
)


@pytest.fixture
def make_lead(django_capture_on_commit_callbacks):
    """make_lead(world, **fields) → (lead, created), created by the tenant's owner, running the
    notification it queues."""
    from marketing.services.leads import lead_create

    def make(world, **fields):
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            return lead_create(data=LEAD_DATA | fields, actor=Actor(type="owner", user=world.owner))

    return make
