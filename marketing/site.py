"""The tenant's public website: landing pages, sitemap.xml and robots.txt.

A visitor's page is rendered once per site version and tenant and then served from the cache: the
process's own last pages first, then the "site" cache in Redis (keyed per tenant schema by
django-tenants' key function), shared by every process. What differs per visitor —
the spam stamp, the UTM tags and referrer in the quote form's hidden fields — is
left out of the cached HTML as one marker and filled in on each request. Members (owner and team)
are never served from the cache: they see drafts and an edit bar.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.contrib.sitemaps import Sitemap
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from marketing.forms import QuoteForm
from marketing.models import HOME_SLUG, Page, PageRevision
from marketing.rendering import Segment, body_segments, faq_json_ld
from marketing.selectors import page_for_members, page_live, site_nav, sitemap_pages
from marketing.services.pages import site_cache
from marketing.services.spam import HONEYPOT_FIELD, STAMP_FIELD, form_stamp_issue
from tenants.selectors import tenant_url

QUOTE_SLOT = "<!--inkwell:quote-fields-->"
HIDDEN_FIELDS = tuple(name for name, field in QuoteForm.base_fields.items() if field.widget.is_hidden)
PAGE_TEMPLATE = "marketing/site/page.html"
CACHE_SECONDS = 24 * 3600  # a publish changes the key long before this runs out
MEMORY_PAGES = 500  # per process: ~7 kB each


@dataclass(frozen=True)
class PageView:
    """What a page shows, whichever of its states (published revision, draft, placeholder) it is."""

    slug: str
    title: str
    seo_title: str = ""
    seo_description: str = ""
    noindex: bool = False
    show_quote_form: bool = True
    segments: list[Segment] = field(default_factory=list)
    social_image: str = ""  # storage name, or ""

    @property
    def path(self) -> str:
        return "/" if self.slug == HOME_SLUG else f"/{self.slug}/"


def page_view_of(content: Page | PageRevision, *, slug: str) -> PageView:
    image = content.social_image
    return PageView(
        slug=slug,
        title=content.title,
        seo_title=content.seo_title,
        seo_description=content.seo_description,
        noindex=content.noindex,
        show_quote_form=content.show_quote_form,
        segments=body_segments(content.body),
        social_image=getattr(image, "name", image) or "",
    )


def placeholder_home(tenant) -> PageView:
    """A new tenant's home page until the owner publishes one: the business name and the quote form."""
    return PageView(slug=HOME_SLUG, title=tenant.config.brand_name)


def page_context(request, view: PageView, **extra) -> dict:
    tenant = request.tenant
    segments = view.segments
    # One quote form per page: the first ```quote block, or after the text when the page asks.
    quote_index = next((i for i, s in enumerate(segments) if s.kind == "quote"), None)
    image_url = ""
    if view.social_image:
        image_url = tenant_url(tenant, default_storage.url(view.social_image))
    return {
        "tenant": tenant,
        "brand": tenant.config,
        "page": view,
        "segments": segments,
        "quote_index": quote_index,
        "quote_after": quote_index is None and view.show_quote_form,
        "faq_json_ld": faq_json_ld(segments),
        "hero_first": bool(segments) and segments[0].kind == "hero",
        "canonical_url": tenant_url(tenant, view.path),
        "social_image_url": image_url,
        "nav": site_nav(),
        "quote_form": QuoteForm(),
        "quote_honeypot_field": HONEYPOT_FIELD,
        **extra,
    }


def quote_hidden_fields(values: dict[str, str], stamp: str = "") -> SafeString:
    """The quote form's per-visitor hidden inputs: the "shown at" stamp and where the visit came from.

    Written out here rather than through the form's widget templates: this runs on every visitor's
    request, and building the form and rendering five widgets costs more than the rest of serving a
    cached page."""
    parts = [
        format_html('<input type="hidden" name="{}" value="{}">', STAMP_FIELD, stamp or form_stamp_issue())
    ]
    parts += [
        format_html(
            '<input type="hidden" name="{}" value="{}" id="id_{}">', name, values.get(name) or "", name
        )
        for name in HIDDEN_FIELDS
    ]
    return mark_safe("".join(parts))  # noqa: S308 -- each part is escaped by format_html


def page_render(
    request, view: PageView, *, form: QuoteForm | None = None, stamp: str = "", status: int = 200, **extra
):
    """A page rendered for this request only (members, a quote form sent back with its errors)."""
    shown = form or QuoteForm.shown(request)
    context = page_context(request, view, quote_form=shown, **extra)
    context["quote_hidden"] = quote_hidden_fields(
        {name: shown[name].value() for name in HIDDEN_FIELDS}, stamp
    )
    context["membership"] = getattr(request, "membership", None)
    return HttpResponse(render_to_string(PAGE_TEMPLATE, context, request=request), status=status)


class RenderedPages:
    """The last pages this process rendered or fetched, by (schema, slug, site version): a page
    served again costs no round trip at all. Bounded (least recently used out), so thousands of
    tenants can't grow a process; the Redis cache behind it is shared by every process."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, str] = OrderedDict()
        self.lock = threading.Lock()  # ASGI runs each request on a thread of its own

    def get(self, key: tuple) -> str | None:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self.lock:
            self.entries[key] = html
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


rendered_pages = RenderedPages(size=MEMORY_PAGES)


def site_page(request, slug: str = HOME_SLUG):
    if request.membership is not None:
        return _member_page(request, slug)
    tenant = request.tenant
    # The site's version is its config's last change, which a publish moves (see
    # site_cache_invalidate) and the tenant lookup has already read: a stale entry is never asked for.
    version = tenant.config.updated.timestamp()
    key = (tenant.schema_name, slug, version)
    html = rendered_pages.get(key)
    if html is None:
        cache_key = f"page:{slug}:{version}"  # the site cache prefixes the schema itself
        html = site_cache().get(cache_key)
        if html is None:
            html = _page_html(request, slug)
            site_cache().set(cache_key, html, CACHE_SECONDS)
        rendered_pages.put(key, html)
    return HttpResponse(html.replace(QUOTE_SLOT, quote_hidden_fields(QuoteForm.visit(request))))


def _page_html(request, slug: str) -> str:
    """The published page at `slug` as every visitor gets it, the quote form's hidden fields left out."""
    page = page_live(slug=slug)
    if page is None and slug != HOME_SLUG:
        raise Http404("No such page.")
    view = page_view_of(page.published_revision, slug=slug) if page else placeholder_home(request.tenant)
    context = page_context(request, view, quote_hidden=mark_safe(QUOTE_SLOT))  # noqa: S308 -- constant
    return render_to_string(PAGE_TEMPLATE, context)


def _member_page(request, slug: str):
    """Members see the draft (the working copy), with a bar saying whether visitors see it too."""
    page = page_for_members(slug=slug)
    if page is None:
        if slug != HOME_SLUG:
            raise Http404("No such page.")
        return page_render(request, placeholder_home(request.tenant), member_page=None)
    return page_render(request, page_view_of(page, slug=slug), member_page=page)


def page_for_path(path: str) -> PageView | None:
    """The live page a quote form was on (its `landing_page` field), to show it again with errors."""
    slug = (path or "/").split("?", 1)[0].strip("/") or HOME_SLUG
    page = page_live(slug=slug) if "/" not in slug else None
    return page_view_of(page.published_revision, slug=slug) if page else None


class PageSitemap(Sitemap):
    def items(self):
        return sitemap_pages()

    def location(self, page: Page) -> str:
        return page.path

    def lastmod(self, page: Page):
        return page.published_revision.created


def robots_txt(request):
    lines = [
        "User-agent: *",
        # Pages for members and customers, never for search results. Pages an owner marks noindex
        # stay crawlable: a crawler must read their noindex to drop them.
        *(f"Disallow: {prefix}" for prefix in ("/dashboard/", "/contracts/", "/leads/", "/pages/",
                                               "/sign-in/", "/c/", "/api/", "/quote/")),
        "",
        f"Sitemap: {tenant_url(request.tenant, '/sitemap.xml')}",
        "",
    ]  # fmt: skip
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
