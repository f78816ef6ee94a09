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


@pytest.fixture
def make_page(django_capture_on_commit_callbacks):
    """make_page(world, slug, body="", publish=True, **fields) → the Page, written (and published)
    by the tenant's owner through the services, with their after-commit work (cache) run."""
    from marketing.services.pages import page_create, page_publish

    def make(world, slug, body="", publish=True, **fields):
        actor = Actor(type="owner", user=world.owner)
        data = {
            "slug": slug,
            "title": fields.pop("title", slug.replace("-", " ").title()),
            "body": body,
            **fields,
        }
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            page = page_create(data=data, actor=actor)
            if publish:
                page_publish(page=page, actor=actor)
            page.refresh_from_db()
            return page

    return make
