"""Landing pages: what visitors, members and owners see, the Markdown they can't break out of, the
cache that serves visitors and forgets on publish, revisions, SEO tags, and tenant isolation."""

import json
import re
import time

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django_tenants.utils import tenant_context

from contracts.services.events import Actor
from marketing.models import Page, PageRevision
from marketing.services.spam import STAMP_FIELD, STAMP_SALT
from tenants.models import AuditEvent, Membership
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE = """\
# Hello <script>alert(1)</script>

<img src=x onerror="alert(2)"> [click](javascript:alert(3)) ![pixel](data:image/png;base64,iVBORw0KGgo=)

<style>body { display: none }</style> <a href="#" onclick="alert(4)">x</a> <iframe src="https://evil.example"></iframe>

```hero
# Big <b onmouseover="alert(5)">offer</b>
[go](javascript:alert(6))
```

```faq
Q: Is it </script><script>alert(7)</script> safe?
A: Yes & "quoted" <em>words</em>.
```
"""


def _visitor(world, **extra):
    return Client(HTTP_HOST=world.host, **extra)


def test_markdown_from_an_owner_renders_inert_and_faq_json_ld_is_valid(alpha, make_page):
    make_page(alpha, "offers", HOSTILE)
    html = _visitor(alpha).get("/offers/").content.decode()
    body = html.split("<body", 1)[1]
    tags = re.findall(r"<[a-z][^>]*>", body)
    assert not [tag for tag in tags if re.search(r"\son\w+=|javascript:|data:|style=", tag)]
    assert not [tag for tag in tags if tag.startswith(("<script", "<style", "<iframe"))]
    # ...and the text is still there, shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert '<h1>Big &lt;b onmouseover="alert(5)"&gt;offer&lt;/b&gt;</h1>' in body
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(ld)
    assert data["@type"] == "FAQPage"
    [question] = data["mainEntity"]
    assert question["name"] == "Is it </script><script>alert(7)</script> safe?"
    assert question["acceptedAnswer"]["text"] == 'Yes & "quoted" <em>words</em>.'


def test_blocks_render_where_the_owner_put_them(alpha, make_page):
    alpha.tenant.config.business_phone = "+14165550100"
    alpha.tenant.config.save()
    body = (
        "```hero\n# Moving made easy\nSame crew, first box to last.\n```\n\nIntro text.\n\n"
        '```testimonials\n"Nothing broken."\n— Priya R., Calgary\n```\n\n'
        "```call\nTalk to a dispatcher\n```\n\n```quote\nGet a moving quote\n```\n\nAfter the form.\n"
    )
    make_page(alpha, "moving", body, title="Moving")
    html = _visitor(alpha).get("/moving/").content.decode()
    order = [
        html.index("<h1>Moving made easy</h1>"),
        html.index("Intro text."),
        html.index("<blockquote>“Nothing broken.”</blockquote>"),
        html.index("Talk to a dispatcher · (416) 555-0100"),
        html.index('<h2 id="quote-heading">Get a moving quote</h2>'),
        html.index("After the form."),
    ]
    assert order == sorted(order)
    assert html.count('id="quote"') == 1  # the quote block is the form: none added after the text
    assert 'class="page-title"' not in html  # the hero's heading is the page's h1


def test_drafts_are_404_for_visitors_and_shown_to_members(alpha, make_page):
    make_page(alpha, "winter-storage", "Heated storage.", publish=False)
    assert _visitor(alpha).get("/winter-storage/").status_code == 404
    for user in (alpha.owner, alpha.member):
        response = client_for(alpha, user=user).get("/winter-storage/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Heated storage." in html and "<strong>Draft</strong>" in html


def test_an_edit_reaches_visitors_only_when_published_and_the_cache_forgets_on_publish(
    alpha, make_page, django_capture_on_commit_callbacks
):
    from marketing.services.pages import page_publish, page_update

    page = make_page(alpha, "moving", "Version one.")
    visitor = _visitor(alpha)
    assert "Version one." in visitor.get("/moving/").content.decode()
    owner = Actor(type="owner", user=alpha.owner)
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        page_update(page=page, data={"body": "Version two."}, actor=owner)
    assert "Version one." in visitor.get("/moving/").content.decode()  # saved, not published
    assert "Version two." in client_for(alpha, user=alpha.owner).get("/moving/").content.decode()
    # Visitors are served from the cache: even a change behind the services' back doesn't show...
    with tenant_context(alpha.tenant):
        PageRevision.objects.filter(pk=page.published_revision_id).update(body="Changed in the database.")
    assert "Version one." in visitor.get("/moving/").content.decode()
    # ...until a publish moves the site's version.
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        page_publish(page=page, actor=owner)
    assert "Version two." in visitor.get("/moving/").content.decode()


def test_cached_pages_still_give_each_visitor_their_own_form_fields(alpha, make_page):
    make_page(alpha, "moving", "Moves.")
    first = _visitor(alpha).get(
        "/moving/?utm_source=google&utm_campaign=spring", HTTP_REFERER="https://g.example/"
    )
    second = _visitor(alpha).get("/moving/")
    a, b = first.content.decode(), second.content.decode()
    assert 'name="utm_source" value="google"' in a and 'name="referrer" value="https://g.example/"' in a
    assert 'name="landing_page" value="/moving/?utm_source=google&amp;utm_campaign=spring"' in a
    assert 'name="utm_source" value="google"' not in b and 'name="landing_page" value="/moving/"' in b
    assert "inkwell:quote-fields" not in a + b
    # and a "shown at" stamp of now, not of when the page was cached
    stamps = [re.search(rf'name="{STAMP_FIELD}" value="([^"]+)"', html).group(1) for html in (a, b)]
    with time_machine.travel(time.time() + 3600):
        third = _visitor(alpha).get("/moving/").content.decode()
    stamps.append(re.search(rf'name="{STAMP_FIELD}" value="([^"]+)"', third).group(1))
    shown_at = [signing.loads(stamp, salt=STAMP_SALT)[0] for stamp in stamps]
    assert shown_at[2] - shown_at[0] >= 3600


def test_sitemap_lists_published_indexable_pages_only_and_robots_points_to_it(alpha, make_page):
    make_page(alpha, "home", "Welcome.")
    make_page(alpha, "moving", "Moves.")
    make_page(alpha, "draft-page", "Not yet.", publish=False)
    make_page(alpha, "old-offer", "Hidden.", noindex=True)
    sitemap = _visitor(alpha).get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap["Content-Type"].startswith("application/xml")
    locations = re.findall(r"<loc>(.*?)</loc>", sitemap.content.decode())
    assert locations == ["http://alpha.localhost/", "http://alpha.localhost/moving/"]
    robots = _visitor(alpha).get("/robots.txt").content.decode()
    assert "Sitemap: http://alpha.localhost:8000/sitemap.xml" in robots
    assert "Disallow: /dashboard/" in robots and "Disallow: /old-offer/" not in robots


def test_seo_tags_canonical_open_graph_twitter_and_noindex_only_when_asked(alpha, make_page):
    make_page(
        alpha, "moving", "Moves.", seo_title="Movers in Vaughan", seo_description="Local & long distance."
    )
    make_page(alpha, "old-offer", "Hidden.", noindex=True)
    html = _visitor(alpha).get("/moving/?utm_source=x").content.decode()
    assert "<title>Movers in Vaughan</title>" in html
    assert '<link rel="canonical" href="http://alpha.localhost:8000/moving/">' in html
    assert '<meta property="og:title" content="Movers in Vaughan">' in html
    assert '<meta name="description" content="Local &amp; long distance.">' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert 'name="robots"' not in html
    assert '<meta name="robots" content="noindex">' in _visitor(alpha).get("/old-offer/").content.decode()


def test_without_a_home_page_visitors_get_the_placeholder_with_the_quote_form(alpha):
    response = _visitor(alpha).get("/")
    html = response.content.decode()
    assert (
        response.status_code == 200
        and f'<h1 class="page-title">{alpha.tenant.config.brand_name}</h1>' in html
    )
    assert 'action="/quote/"' in html
    assert _visitor(alpha).get("/no-such-page/").status_code == 404


def test_a_refused_quote_shows_the_page_it_came_from_again(alpha, make_page):
    make_page(alpha, "moving", "Our moving services.")
    response = _visitor(alpha).post("/quote/", {"name": "Ann", "phone": "12", "landing_page": "/moving/?x=1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Our moving services." in html and 'value="Ann"' in html
    with tenant_context(alpha.tenant):
        assert not Page.objects.filter(slug="quote").exists()


# --- the owner's editor --------------------------------------------------------------------------


def _page_form(**fields) -> dict:
    data = {"title": "Moving", "slug": "moving", "body": "Hello", "seo_title": "", "seo_description": ""}
    data["show_quote_form"] = "on"
    return {**data, **fields}


def test_owner_writes_publishes_and_restores_a_page_and_every_step_is_a_revision(alpha):
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post("/pages/new/", _page_form(body="First words."))
    assert response.status_code == 302
    with tenant_context(alpha.tenant):
        page = Page.objects.get(slug="moving")
    edit = f"/pages/{page.pk}/"
    assert owner.post(edit, _page_form(body="Second words.", action="publish")).status_code == 302
    assert "Second words." in _visitor(alpha).get("/moving/").content.decode()
    assert owner.post(edit, _page_form(body="Third words.")).status_code == 302
    assert owner.post(f"{edit}revisions/1/restore/").status_code == 302
    with tenant_context(alpha.tenant):
        page.refresh_from_db()
        kinds = list(page.revisions.order_by("number").values_list("number", "kind", "body"))
    assert page.body == "First words."
    assert kinds == [
        (1, "saved", "First words."),
        (2, "saved", "Second words."),
        (3, "published", "Second words."),
        (4, "saved", "Third words."),
        (5, "restored", "First words."),
    ]
    # restoring is a draft change: visitors still see what was published
    assert "Second words." in _visitor(alpha).get("/moving/").content.decode()


def test_saving_without_a_change_writes_no_revision(alpha, make_page):
    page = make_page(alpha, "moving", "Hello", title="Moving", publish=False)
    owner = client_for(alpha, user=alpha.owner)
    assert owner.post(f"/pages/{page.pk}/", _page_form()).status_code == 302
    with tenant_context(alpha.tenant):
        assert page.revisions.count() == 1


@pytest.mark.parametrize("slug", ["leads", "dashboard", "api", "sign-in", "pages", "chat"])
def test_addresses_inkwell_answers_itself_are_refused(alpha, slug):
    response = client_for(alpha, user=alpha.owner).post("/pages/new/", _page_form(slug=slug))
    assert response.status_code == 400 and "is taken by Inkwell itself" in response.content.decode()
    with tenant_context(alpha.tenant):
        assert not Page.objects.exists()


def test_a_published_page_keeps_its_address(alpha, make_page):
    from django.core.exceptions import ValidationError

    from marketing.services.pages import page_update

    page = make_page(alpha, "moving", "Hello")
    with tenant_context(alpha.tenant), pytest.raises(ValidationError) as caught:
        page_update(page=page, data={"slug": "movers"}, actor=Actor(type="owner", user=alpha.owner))
    assert caught.value.error_dict["slug"][0].code == "page_slug_locked"
    # the editor shows the address as fixed, and ignores a forged one
    owner = client_for(alpha, user=alpha.owner)
    assert owner.post(f"/pages/{page.pk}/", _page_form(slug="movers", body="New")).status_code == 302
    with tenant_context(alpha.tenant):
        assert Page.objects.get(pk=page.pk).slug == "moving"


def test_members_write_drafts_but_only_owners_publish_unpublish_restore_and_delete(alpha, make_page):
    page = make_page(alpha, "moving", "Live words.")
    member = client_for(alpha, user=alpha.member)
    response = member.post(f"/pages/{page.pk}/", _page_form(body="Member words.", action="publish"))
    assert response.status_code == 400 and "Only an owner can publish" in response.content.decode()
    assert member.post(f"/pages/{page.pk}/", _page_form(body="Member draft.")).status_code == 302
    for action in ("unpublish/", "delete/", "revisions/1/restore/"):
        assert member.post(f"/pages/{page.pk}/{action}").status_code == 403
    html = _visitor(alpha).get("/moving/").content.decode()
    assert "Live words." in html and "Member" not in html


def test_unpublish_takes_the_page_off_the_site_and_delete_is_audited(
    alpha, make_page, django_capture_on_commit_callbacks
):
    page = make_page(alpha, "moving", "Hello")
    owner = client_for(alpha, user=alpha.owner)
    visitor = _visitor(alpha)
    assert visitor.get("/moving/").status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(f"/pages/{page.pk}/unpublish/").status_code == 302
    assert visitor.get("/moving/").status_code == 404
    assert owner.post(f"/pages/{page.pk}/unpublish/").status_code == 409
    assert owner.post(f"/pages/{page.pk}/delete/").status_code == 302
    assert (
        AuditEvent.objects.filter(action="pages.deleted", tenant=alpha.tenant, actor=alpha.owner).count() == 1
    )


def test_preview_renders_the_posted_text_sanitised_for_members_only(alpha):
    data = {
        "title": "Draft",
        "body": "**Bold** <script>x()</script>\n\n```quote\n```",
        "show_quote_form": "on",
    }
    response = client_for(alpha, user=alpha.member).post("/pages/preview/", data)
    html = response.content.decode()
    assert response.status_code == 200 and "<strong>Bold</strong>" in html and "<script>" not in html
    assert "disabled" in html and 'action="/quote/"' not in html  # the preview's form can't send
    assert client_for(alpha).post("/pages/preview/", data).status_code == 302


def test_editor_lists_pages_with_their_state(alpha, make_page):
    make_page(alpha, "moving", "Hello", title="Moving")
    make_page(alpha, "storage", "Soon", title="Storage", publish=False)
    html = client_for(alpha, user=alpha.member).get("/pages/").content.decode()
    assert "Moving" in html and "Storage" in html and "Draft" in html


# --- isolation -----------------------------------------------------------------------------------


@pytest.fixture
def member_of_both(alpha, beta):
    """alpha's owner, also an owner of beta: only the host can keep alpha's pages off beta."""
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    return alpha.owner


def test_a_member_of_both_tenants_cannot_reach_one_tenants_pages_from_the_other(
    alpha, beta, make_page, member_of_both
):
    page = make_page(alpha, "alpha-only", "Alpha secret draft.", publish=False)
    on_beta = client_for(beta, user=member_of_both)
    for path in (f"/pages/{page.pk}/", "/alpha-only/"):
        assert on_beta.get(path).status_code == 404
    for action in ("unpublish/", "delete/", "revisions/1/restore/"):
        assert on_beta.post(f"/pages/{page.pk}/{action}").status_code == 404
    assert "Alpha secret" not in on_beta.get("/pages/").content.decode()
    with tenant_context(alpha.tenant):
        assert Page.objects.filter(pk=page.pk).exists()


def test_the_same_address_on_two_tenants_is_two_pages_and_two_cache_entries(alpha, beta, make_page):
    make_page(alpha, "moving", "Alpha moves.")
    make_page(beta, "moving", "Beta moves.")
    assert "Alpha moves." in _visitor(alpha).get("/moving/").content.decode()
    html = _visitor(beta).get("/moving/").content.decode()
    assert "Beta moves." in html and "Alpha" not in html
    make_page(alpha, "alpha-offer", "Only alpha.")
    assert _visitor(beta).get("/alpha-offer/").status_code == 404
    assert "alpha-offer" not in _visitor(beta).get("/sitemap.xml").content.decode()


def test_an_address_already_used_is_a_form_error(alpha, make_page):
    make_page(alpha, "moving", "First.", publish=False)
    response = client_for(alpha, user=alpha.owner).post("/pages/new/", _page_form(body="Second."))
    assert response.status_code == 400 and "slug" in response.context["form"].errors
    with tenant_context(alpha.tenant):
        assert list(Page.objects.values_list("body", flat=True)) == ["First."]


def test_a_cached_page_costs_no_query_of_its_own_from_memory_or_from_redis(
    alpha, make_page, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketing.site import rendered_pages

    make_page(alpha, "moving", "Moves.")
    visitor = _visitor(alpha)
    with CaptureQueriesContext(connection) as reference:
        visitor.get("/robots.txt")  # the tenant lookup and nothing else
    first = CaptureQueriesContext(connection)
    with first:
        visitor.get("/moving/")
    assert len(first) > len(reference)  # rendered: the page and the site's other pages read
    with django_assert_max_num_queries(len(reference)):
        assert "Moves." in visitor.get("/moving/").content.decode()  # this process's memory
    rendered_pages.clear()  # as another process would start: only the shared Redis cache has it
    with django_assert_max_num_queries(len(reference)):
        assert "Moves." in visitor.get("/moving/").content.decode()


def test_a_page_deleted_meanwhile_is_not_found_rather_than_a_server_error(alpha, make_page):
    from django.http import Http404

    from marketing.services.pages import page_delete, page_publish, page_update

    page = make_page(alpha, slug="gone-soon")
    owner = Actor(type="owner", user=alpha.owner)
    with tenant_context(alpha.tenant):
        stale = Page.objects.get(pk=page.pk)  # what a second editor loaded before the delete
        page_delete(page=page, actor=owner)
        for write in (lambda: page_update(page=stale, data={"title": "New"}, actor=owner),
                      lambda: page_publish(page=stale, actor=owner)):  # fmt: skip
            with pytest.raises(Http404):
                write()
