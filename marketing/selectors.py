"""Reading leads (the filtered list shared by the owner pages, the API and the CSV export) and
landing pages (the live site, the members' preview and the owner's list)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from marketing.models import HOME_SLUG, Lead, Page


def lead_list(*, search: str = "", status: str = "", source: str = "") -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    if search:
        leads = leads.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
            | Q(origin__icontains=search)
            | Q(destination__icontains=search)
        )
    return leads


def lead_detail(*, pk: int) -> Lead:
    """One lead with its history. Raises Lead.DoesNotExist."""
    return Lead.objects.select_related("contract").prefetch_related("events").get(pk=pk)


def lead_detail_or_404(*, pk: int) -> Lead:
    """lead_detail for the pages and API: a lead this schema doesn't have is a 404."""
    return get_object_or_404(Lead.objects.select_related("contract").prefetch_related("events"), pk=pk)


def page_live(*, slug: str) -> Page | None:
    """The published page at `slug`, with the revision visitors see, or None."""
    return (
        Page.objects.select_related("published_revision")
        .filter(slug=slug, published_revision__isnull=False)
        .first()
    )


def page_for_members(*, slug: str) -> Page | None:
    """The page at `slug` whether published or not (members preview drafts)."""
    return Page.objects.select_related("published_revision").filter(slug=slug).first()


def site_nav() -> list[tuple[str, str]]:
    """(title, path) of the published pages other than the home page, for the site's header."""
    pages = (
        Page.objects.filter(published_revision__isnull=False)
        .exclude(slug=HOME_SLUG)
        .order_by("first_published_at", "pk")
        .values_list("published_revision__title", "slug")
    )
    return [(title, f"/{slug}/") for title, slug in pages[:8]]


def sitemap_pages() -> list[Page]:
    """Published pages that ask to be indexed: what sitemap.xml lists."""
    return list(
        Page.objects.select_related("published_revision")
        .filter(published_revision__isnull=False, published_revision__noindex=False)
        .order_by("slug")
    )


def page_list() -> QuerySet[Page]:
    return Page.objects.select_related("published_revision").order_by("slug")


def page_detail_or_404(*, pk: int) -> Page:
    return get_object_or_404(Page.objects.select_related("published_revision"), pk=pk)
