"""Owner pages for the website (/pages/): the list, the editor with its live preview, publishing and
revisions. Members write drafts; owners publish, unpublish, restore and delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from contracts.services.events import Actor
from marketing.forms import PageForm
from marketing.models import HOME_SLUG, Page
from marketing.rendering import body_segments
from marketing.selectors import NOINDEX_WINDOW_DAYS, noindex_impressions_mark, page_detail_or_404, page_list
from marketing.services.pages import (
    page_create,
    page_delete,
    page_restore,
    page_save_and_publish,
    page_unpublish,
    page_update,
)
from marketing.site import PageView, page_context
from tenants.models import Membership
from tenants.permissions import member_required

OWNER = Membership.Role.OWNER


def _actor(request) -> Actor:
    return Actor.from_request(request, type="owner")  # "owner or team member"; the user says which


@member_required
def page_list_view(request):
    pages = noindex_impressions_mark(tenant=request.tenant, pages=list(page_list()))
    context = {"pages": pages, "noindex_days": NOINDEX_WINDOW_DAYS}
    return render(request, "marketing/pages/list.html", context)


@require_http_methods(["GET", "POST"])
@member_required
def page_create_view(request):
    form = PageForm(
        request.POST or None, request.FILES or None, initial={"slug": request.GET.get("slug", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            page = page_create(data=form.page_data(), actor=_actor(request))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Page saved as a draft.")
            return redirect("page_edit", pk=page.pk)
    status = 400 if form.errors else 200
    return render(request, "marketing/pages/edit.html", {"form": form, "page": None}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def page_edit_view(request, pk):
    page = page_detail_or_404(pk=pk)
    form = PageForm(request.POST or None, request.FILES or None, instance=page)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("action") == "publish"
        if publish and not request.membership.is_owner:
            form.add_error(None, "Only an owner can publish; your changes are not saved yet.")
        else:
            save = page_save_and_publish if publish else page_update
            try:
                save(page=page, data=form.page_data(), actor=_actor(request))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if publish:
                    messages.success(request, f"Published: visitors see the new version at {page.path}.")
                else:
                    messages.success(request, "Saved. Visitors see it when you publish.")
                return redirect("page_edit", pk=page.pk)
    [page] = noindex_impressions_mark(tenant=request.tenant, pages=[page_detail_or_404(pk=pk)])
    context = {
        "form": form,
        "page": page,
        "revisions": page.revisions.all()[:30],
        "noindex_days": NOINDEX_WINDOW_DAYS,
    }
    return render(request, "marketing/pages/edit.html", context, status=400 if form.errors else 200)


@require_POST
@member_required
def page_preview_view(request):
    """The editor's live preview: the posted title and body rendered as the site would show them."""
    view = PageView(
        slug=request.POST.get("slug", "") or HOME_SLUG,
        title=request.POST.get("title", "")[:200],
        show_quote_form=request.POST.get("show_quote_form") == "on",
        segments=body_segments(request.POST.get("body", "")[: Page._meta.get_field("body").max_length]),
    )
    context = page_context(request, view, quote_preview=True)
    return render(request, "marketing/pages/_preview.html", context)


@require_POST
@member_required(role=OWNER)
def page_unpublish_view(request, pk):
    page = page_detail_or_404(pk=pk)
    page_unpublish(page=page, actor=_actor(request))
    messages.success(request, f"Unpublished: {page.path} now answers \u201cpage not found\u201d.")
    return redirect("page_edit", pk=page.pk)


@require_POST
@member_required(role=OWNER)
def page_restore_view(request, pk, number):
    page = page_detail_or_404(pk=pk)
    revision = get_object_or_404(page.revisions, number=number)
    page_restore(revision=revision, actor=_actor(request))
    messages.success(request, f"Revision {number} is back in the editor. Publish it to put it live.")
    return redirect("page_edit", pk=page.pk)


@require_POST
@member_required(role=OWNER)
def page_delete_view(request, pk):
    page = page_detail_or_404(pk=pk)
    page_delete(page=page, actor=_actor(request))
    messages.success(request, f"Deleted \u201c{page.title}\u201d.")
    return redirect("page_list")
