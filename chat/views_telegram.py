"""The owner's Telegram page (/agents/telegram/): make a one-time link to connect a chat, see the
business's linked chats, choose what each is told, unlink. Owners only; a link's preferences are
changed by the person who linked it, and any owner may unlink a chat of this business."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from chat.telegram.links import (
    NOTIFY_FIELDS,
    telegram_link_code_create,
    telegram_link_get,
    telegram_link_preferences_update,
    telegram_links_of,
    telegram_unlink,
)
from tenants.models import Membership
from tenants.permissions import member_required

owner_required = member_required(role=Membership.Role.OWNER)
TEMPLATE = "chat/telegram/settings.html"


def _page(request, *, status: int = 200, **extra):
    context = {
        "links": telegram_links_of(tenant=request.tenant),
        "bot_username": settings.TELEGRAM_BOT_USERNAME,
        "outbox": settings.TELEGRAM_BACKEND == "outbox",
        "notify_fields": NOTIFY_FIELDS,
        **extra,
    }
    return render(request, TEMPLATE, context, status=status)


def _link_or_404(request, pk: int):
    link = telegram_link_get(tenant=request.tenant, pk=pk)
    if link is None:
        raise Http404("No such linked chat.")
    return link


@owner_required
def telegram_settings_view(request):
    return _page(request)


@require_POST
@owner_required
def telegram_link_code_view(request):
    # The code is shown on this answer only (it is stored hashed); reloading the page forgets it.
    new = telegram_link_code_create(tenant=request.tenant, user=request.user)
    response = _page(request, new=new)
    add_never_cache_headers(response)
    return response


@require_POST
@owner_required
def telegram_preferences_view(request, pk: int):
    link = _link_or_404(request, pk)
    telegram_link_preferences_update(
        link=link, user=request.user, **{name: request.POST.get(name) == "on" for name in NOTIFY_FIELDS}
    )
    return redirect("telegram_settings")


@require_POST
@owner_required
def telegram_unlink_view(request, pk: int):
    telegram_unlink(link=_link_or_404(request, pk))
    return redirect("telegram_settings")
