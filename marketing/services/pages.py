"""Landing pages: every write (dashboard, admin, later AI agents) goes through these services.

The Page row is the working copy; publishing snapshots it as a revision that visitors see. Every
save, publish, unpublish and restore writes a revision, so nothing an owner wrote is ever lost.
Visitors' pages are cached per tenant (see marketing/site.py); each publish, unpublish and delete
moves the tenant's site version, which every cached page's key includes, in the same transaction.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve
from django.utils import timezone

from contracts.services.events import Actor
from inkwell.errors import Conflict
from marketing.error_codes import MarketingErrorCode
from marketing.models import HOME_SLUG, Page, PageRevision
from tenants.models import TenantConfig
from tenants.services.audit import audit_record

R = PageRevision.Kind
EDITABLE_FIELDS = (*Page.CONTENT_FIELDS, "slug", "social_image")
# First path segments that belong, or will belong, to the product rather than to a landing page.
RESERVED_SLUGS = frozenset({
    "admin", "api", "mcp", "static", "media", "c", "chat", "widget", "pages", "leads", "contracts",
    "dashboard", "sign-in", "signin", "quote", "seo", "campaigns", "calendar", "questionnaire",
    "billing", "agents", "settings", "webhooks", "healthz",
})  # fmt: skip

SITE_CACHE = "site"


def site_cache():
    return caches[SITE_CACHE]


def site_cache_invalidate() -> None:
    """Make every cached page of the current tenant stale. The site's version is its config's
    `updated` time, which the tenant lookup reads on every request anyway: moving it inside the
    publish's own transaction means the new version is visible exactly when the new page is, in
    every process, with no cache to clear."""
    TenantConfig.objects.filter(pk=connection.tenant.pk).update(updated=timezone.now())


def _label(actor: Actor) -> str:
    return actor.label or (actor.user.email if actor.user else "")


def slug_validate(slug: str) -> None:
    """A page may not take an address the product answers itself."""
    message = f'"/{slug}/" is taken by Inkwell itself; choose another address.'
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": ValidationError(message, code=MarketingErrorCode.SLUG_RESERVED)})
    if slug == HOME_SLUG:
        return
    try:
        match = resolve(f"/{slug}/")
    except Resolver404:
        return
    if match.url_name != "site_page":
        raise ValidationError({"slug": ValidationError(message, code=MarketingErrorCode.SLUG_RESERVED)})


def _revision_write(*, page: Page, kind: str, actor: Actor, note: str = "") -> PageRevision:
    number = (page.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
    return PageRevision.objects.create(
        page=page,
        number=number,
        kind=kind,
        social_image=page.social_image.name or "",
        author=actor.user,
        author_label=_label(actor),
        note=note,
        **{name: getattr(page, name) for name in Page.CONTENT_FIELDS},
    )


def _editable_values(page: Page) -> dict:
    return {name: getattr(page, name) for name in Page.CONTENT_FIELDS} | {
        "slug": page.slug,
        "social_image": page.social_image.name,
    }


def _apply(page: Page, data: dict) -> None:
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: "This field can't be set." for name in unknown})
    for name, value in data.items():
        setattr(page, name, value)
    page.full_clean()
    slug_validate(page.slug)


@transaction.atomic
def page_create(*, data: dict, actor: Actor) -> Page:
    """A new draft page (revision 1). Raises ValidationError naming each bad field."""
    page = Page()
    _apply(page, data)
    page.save()
    _revision_write(page=page, kind=R.SAVED, actor=actor, note="Created")
    return page


@transaction.atomic
def page_update(*, page: Page, data: dict, actor: Actor) -> Page:
    """Save the working copy; a revision is written when anything changed. Visitors still see the
    published revision until the page is published again. The address of a page that has been
    published is fixed: search engines and shared links know it."""
    page = get_object_or_404(Page.objects.select_for_update(), pk=page.pk)
    before = _editable_values(page)
    if "slug" in data and data["slug"] != page.slug and page.first_published_at is not None:
        raise ValidationError(
            {
                "slug": ValidationError(
                    "A published page keeps its address; make a new page for a new address.",
                    code=MarketingErrorCode.SLUG_LOCKED,
                )
            }
        )
    _apply(page, data)
    page.save()
    if _editable_values(page) != before:
        _revision_write(page=page, kind=R.SAVED, actor=actor)
    return page


@transaction.atomic
def page_publish(*, page: Page, actor: Actor) -> PageRevision:
    """Put the working copy live: a `published` revision that visitors see from the commit on."""
    page = get_object_or_404(Page.objects.select_for_update(), pk=page.pk)
    revision = _revision_write(page=page, kind=R.PUBLISHED, actor=actor)
    page.published_revision = revision
    page.first_published_at = page.first_published_at or timezone.now()
    page.save(update_fields=["published_revision", "first_published_at", "updated"])
    site_cache_invalidate()
    return revision


@transaction.atomic
def page_unpublish(*, page: Page, actor: Actor) -> Page:
    """Take the page off the site (visitors get 404; it leaves the sitemap). Its text stays."""
    page = get_object_or_404(Page.objects.select_for_update(), pk=page.pk)
    if not page.is_published:
        raise Conflict("This page is not published.", code=MarketingErrorCode.NOT_PUBLISHED)
    page.published_revision = None
    page.save(update_fields=["published_revision", "updated"])
    _revision_write(page=page, kind=R.SAVED, actor=actor, note="Unpublished")
    site_cache_invalidate()
    return page


@transaction.atomic
def page_restore(*, revision: PageRevision, actor: Actor) -> Page:
    """Bring an earlier revision's text back into the working copy, as a new revision. It goes live
    when published, like any edit. The address stays as it is."""
    page = get_object_or_404(Page.objects.select_for_update(), pk=revision.page_id)
    for name in Page.CONTENT_FIELDS:
        setattr(page, name, getattr(revision, name))
    page.social_image = revision.social_image
    page.save()
    _revision_write(page=page, kind=R.RESTORED, actor=actor, note=f"Restored from revision {revision.number}")
    return page


@transaction.atomic
def page_delete(*, page: Page, actor: Actor) -> None:
    """Delete a page and its revisions; the tenant's audit log keeps who did it and what it was."""
    page = get_object_or_404(Page.objects.select_for_update(), pk=page.pk)
    was_live = page.is_published
    audit_record(
        actor=actor.user or actor.label, action="pages.deleted", tenant=connection.tenant,
        data={"slug": page.slug, "title": page.title, "was_published": was_live},
    )  # fmt: skip
    page.delete()
    if was_live:
        site_cache_invalidate()


@transaction.atomic
def page_save_and_publish(*, page: Page, data: dict, actor: Actor) -> PageRevision:
    """The editor's "Save and publish": both or neither."""
    return page_publish(page=page_update(page=page, data=data, actor=actor), actor=actor)
