"""The navigation's "Inbox" link with the number of conversations waiting for a reply.

The number is read from the cache, where every change keeps it (chat.services.inbox.inbox_count_refresh):
drawing the navigation costs no page an SQL query. Unknown (the cache emptied): no number shown."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from chat.selectors_inbox import conversation_needs_reply_count_cached

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_navlink(context):
    url = reverse("chat_inbox")
    current = mark_safe(' aria-current="page"') if context["request"].path.startswith(url) else ""
    waiting = conversation_needs_reply_count_cached()
    if not waiting:
        return format_html('<a href="{}"{}>Inbox</a>', url, current)
    return format_html(
        '<a href="{}"{}>Inbox <span class="nav-count">{}<span class="visually-hidden"> waiting for a reply</span></span></a>',
        url,
        current,
        waiting,
    )
