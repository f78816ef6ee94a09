"""The memory page (/dashboard/memory/): search (GET ?q=, htmx swaps the body), the entries with their
source and tags; members add entries, owners edit and delete them in place. A write with htmx answers
with the whole body (the form with its errors where it was: 400); a plain form post is redirected back
to the page, or shown the page with the form's errors (400)."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chat.forms import MemoryEntryForm
from chat.models import MemoryEntry
from chat.selectors import PRIVATE_SOURCES, memory_list, memory_search_queryset
from chat.services.memory import memory_add, memory_delete, memory_update
from dashboard.rendering import form_apply, render_dashboard
from tenants.models import Membership
from tenants.permissions import member_required

TEMPLATE = "chat/memory.html"
PAGE_SIZE = 25
MAX_QUERY = 200


def _page(request, status: int = 200, **extra):
    q = request.GET.get("q", "").strip().replace("\x00", "")
    source = request.GET.get("source", "")
    source = source if source in MemoryEntry.Source.values else ""
    query_error = f"At most {MAX_QUERY} characters." if len(q) > MAX_QUERY else ""
    # Agents' checkpoints are the owners' to read: members don't see them (nor filter by them).
    private = request.membership.is_owner
    if query_error:
        entries, status = MemoryEntry.objects.none(), 400
    elif q:
        entries = memory_search_queryset(query=q, source=source or None, private=private)
    else:
        entries = memory_list(source=source or None, private=private)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "q": q,
        "source": source,
        "sources": [
            (v, label) for v, label in MemoryEntry.Source.choices if private or v not in PRIVATE_SOURCES
        ],
        "query_error": query_error,
        "page": page,
        "add_form": MemoryEntryForm(),
        "editing": None,
        **extra,
    }
    return render_dashboard(request, TEMPLATE, context, status=status)


@member_required
def memory_view(request):
    return _page(request)


def _done(request, notice: str):
    return _page(request, notice=notice) if request.htmx else redirect("memory")


def _actor_label(request) -> str:
    return request.user.email or str(request.user.pk)


@require_POST
@member_required
def memory_create_view(request):
    form = MemoryEntryForm(request.POST)
    result = form_apply(form, lambda data: memory_add(**data, actor_label=_actor_label(request)))
    if result is None:
        return _page(request, status=400, add_form=form)
    entry, created = result
    return _done(request, "Remembered." if created else "Already known: merged into the existing entry.")


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def memory_edit_view(request, pk):
    # Only this tenant's schema is searched, so another business's id is a 404 whoever asks.
    entry = get_object_or_404(MemoryEntry, pk=pk)
    if request.method == "GET":
        form = MemoryEntryForm.for_entry(entry)
        if request.htmx and request.htmx.target == f"memory-{entry.pk}":
            return render(request, f"{TEMPLATE}#entry-edit", {"entry": entry, "form": form})
        return _page(request, editing=entry.pk, edit_form=form)
    form = MemoryEntryForm.for_entry(entry, data=request.POST)
    updated = form_apply(form, lambda data: memory_update(entry=entry, data=data))
    if updated is None:
        return _page(request, status=400, editing=entry.pk, edit_form=form)
    return _done(request, "Saved.")


@require_POST
@member_required(role=Membership.Role.OWNER)
def memory_delete_view(request, pk):
    memory_delete(entry=get_object_or_404(MemoryEntry, pk=pk))
    return _done(request, "Deleted.")
