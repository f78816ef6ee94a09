"""A page people find in search that is set to noindex is called out to the owner: on the dashboard
(live pages), in the pages list and in the editor (drafts too, before they are published)."""

import re
from datetime import timedelta

import pytest
from django_tenants.utils import tenant_context

from marketing.metrics import last_complete
from marketing.models import SearchFact
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _impressions(world, path, per_day, days_ago):
    """Search Console rows for `path` on `world`, `per_day` impressions on each of `days_ago`."""
    with tenant_context(world.tenant):
        yesterday = last_complete(tenant=world.tenant, days=1).end
        SearchFact.objects.bulk_create(
            SearchFact(
                day=yesterday - timedelta(days=ago), query="car shipping toronto", page=f"https://x.example{path}",
                device="MOBILE", country="can", clicks=3, impressions=per_day, position_sum=per_day * 7.5,
            )
            for ago in days_ago
        )  # fmt: skip


def test_a_live_noindex_page_with_impressions_is_flagged_everywhere_with_its_28_day_count(alpha, make_page):
    page = make_page(alpha, "moving", "Moves.", noindex=True)
    _impressions(alpha, "/moving/", 100, range(27))  # 2,700 inside the 28 days…
    _impressions(alpha, "/moving/?utm_source=x", 157, [27])  # …157 more on its first day…
    _impressions(alpha, "/moving/", 5000, [28, 40])  # …and none of these, from before it
    owner = client_for(alpha, user=alpha.owner)
    for path in ("/dashboard/", "/pages/", f"/pages/{page.pk}/"):
        html = owner.get(path).content.decode()
        # the number is grouped the way the tenant's locale writes it (en-CA: "2 857")
        said = r"is hidden from search engines, yet it had 2\D?857 search impressions in the last 28 days"
        assert re.search(said, html), path
        assert "once you publish" not in html


def test_no_warning_without_impressions_or_without_noindex(alpha, make_page):
    make_page(alpha, "moving", "Moves.", noindex=True)
    make_page(alpha, "storage", "Storage.")
    _impressions(alpha, "/storage/", 100, range(5))
    owner = client_for(alpha, user=alpha.owner)
    for path in ("/dashboard/", "/pages/"):
        assert "is hidden from search engines" not in owner.get(path).content.decode()


def test_a_draft_about_to_hide_a_found_page_is_flagged_in_the_editor_not_yet_on_the_dashboard(
    alpha, make_page
):
    from contracts.services.events import Actor
    from marketing.services.pages import page_update

    page = make_page(alpha, "moving", "Moves.")
    _impressions(alpha, "/moving/", 40, range(3))
    with tenant_context(alpha.tenant):
        page_update(page=page, data={"noindex": True}, actor=Actor(type="owner", user=alpha.owner))
    owner = client_for(alpha, user=alpha.owner)
    editor = owner.get(f"/pages/{page.pk}/").content.decode()
    assert "had 120 search impressions" in editor and "once you publish" in editor
    assert "is hidden from search engines" not in owner.get("/dashboard/").content.decode()


def test_another_tenants_impressions_never_count(alpha, beta, make_page):
    make_page(beta, "moving", "Moves.", noindex=True)
    _impressions(alpha, "/moving/", 100, range(5))
    assert (
        "is hidden from search engines"
        not in client_for(beta, user=beta.owner).get("/dashboard/").content.decode()
    )
