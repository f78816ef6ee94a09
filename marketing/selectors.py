"""Reading leads (the filtered list shared by the owner pages, the API and the CSV export) and
landing pages (the live site, the members' preview and the owner's list)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from marketing.models import HOME_SLUG, Lead, Page, SearchFact


def lead_list(
    *,
    search: str = "",
    status: str = "",
    source: str = "",
    created_between: tuple[datetime, datetime] | None = None,
) -> QuerySet[Lead]:
    """Leads matching the filters, newest first. `created_between` is (from, until) with `until`
    excluded (marketing.metrics.local_bounds turns the tenant's local days into those instants)."""
    leads = Lead.objects.all()
    if created_between is not None:
        leads = leads.filter(created__gte=created_between[0], created__lt=created_between[1])
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


def lead_status_counts(*, leads: QuerySet[Lead]) -> dict[str, int]:
    """How many of `leads` are in each status (every status, 0 included): one query."""
    counts = dict.fromkeys(Lead.Status.values, 0)
    for row in leads.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def lead_source_counts(*, leads: QuerySet[Lead]) -> list[tuple[str, str, int]]:
    """(source, label, count) of `leads` for every source, in the choices' order: one query."""
    counts = {row["source"]: row["n"] for row in leads.order_by().values("source").annotate(n=Count("id"))}
    return [(value, label, counts.get(value, 0)) for value, label in Lead.Source.choices]


BOARD_CARDS = 25


def lead_board(*, leads: QuerySet[Lead], per_column: int = BOARD_CARDS) -> list[dict]:
    """The pipeline board: a column per status (in pipeline order) with its count and its newest
    `per_column` leads. Two queries whatever the number of leads (counts, then the cards, numbered
    per status by a window function so only the shown ones are read)."""
    counts = lead_status_counts(leads=leads)
    numbered = leads.annotate(
        position=Window(
            RowNumber(), partition_by=[F("status")], order_by=[F("created").desc(), F("id").desc()]
        )
    )
    cards: dict[str, list[Lead]] = {status: [] for status in Lead.Status.values}
    for lead in numbered.filter(position__lte=per_column).order_by("-created", "-id"):
        cards[lead.status].append(lead)
    return [
        {
            "status": value,
            "label": label,
            "count": counts[value],
            "leads": cards[value],
            "more": counts[value] - len(cards[value]),
        }
        for value, label in Lead.Status.choices
    ]


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


NOINDEX_WINDOW_DAYS = 28


def page_search_impressions(*, tenant, paths: list[str]) -> dict[str, int]:
    """Search impressions of the last 28 complete days per page path (Search Console reports full
    URLs; any host or query string of this tenant's counts toward the path)."""
    from marketing.metrics import between, last_complete

    if not paths:
        return {}
    period = last_complete(tenant=tenant, days=NOINDEX_WINDOW_DAYS)
    rows = SearchFact.objects.filter(between(period)).values("page").annotate(impressions=Sum("impressions"))
    wanted = set(paths)
    found: dict[str, int] = {}
    for row in rows:
        path = urlsplit(row["page"]).path or "/"
        if path in wanted:
            found[path] = found.get(path, 0) + row["impressions"]
    return found


def noindex_impressions_mark(*, tenant, pages: list[Page], drafts: bool = True) -> list[Page]:
    """Set `noindex_impressions` on each of `pages`: its search impressions of the last 28 days when
    its live version (or, with `drafts`, its working copy) tells search engines to drop it, else 0.
    A page people find in search is about to vanish from it."""

    def asks_noindex(page: Page) -> bool:
        live = page.published_revision
        return bool(live and live.noindex) or (drafts and page.noindex)

    asking = [page for page in pages if asks_noindex(page)]
    impressions = page_search_impressions(tenant=tenant, paths=[page.path for page in asking])
    for page in pages:
        page.noindex_impressions = impressions.get(page.path, 0) if asks_noindex(page) else 0
    return pages


def noindex_pages_losing_search(*, tenant) -> list[Page]:
    """Live pages that tell search engines to drop them although people find them in search, most
    impressions (`noindex_impressions`) first. The first customer's previous site lost a page with
    2,857 monthly impressions to a forgotten noindex."""
    pages = list(Page.objects.select_related("published_revision").filter(published_revision__noindex=True))
    marked = noindex_impressions_mark(tenant=tenant, pages=pages, drafts=False)
    return sorted(
        (page for page in marked if page.noindex_impressions), key=lambda page: -page.noindex_impressions
    )
