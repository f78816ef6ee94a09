"""{% chat_widget %}: the chat widget on a tenant's public pages, when the tenant has chat switched on
and its plan includes it. The markup is the same for every visitor (pages are cached whole): who the
visitor is comes from their cookie when the widget calls the server."""

from django import template
from django.conf import settings

from billing.plans import plan_allows

register = template.Library()


def chat_widget_shown(tenant) -> bool:
    if tenant is None or getattr(tenant, "is_public", True):
        return False
    return bool(tenant.config.feature_chat) and plan_allows(tenant=tenant, feature="chat")


def _context(context) -> dict:
    tenant = context.get("tenant")
    shown = chat_widget_shown(tenant)
    return {
        "shown": shown,
        "brand": tenant.config if shown else None,
        "max_length": settings.CHAT_MAX_MESSAGE,
    }


@register.inclusion_tag("chat/widget_head.html", takes_context=True)
def chat_widget_head(context):
    """The widget's stylesheet and script, in the page's <head> (the script is deferred)."""
    return _context(context)


@register.inclusion_tag("chat/widget.html", takes_context=True)
def chat_widget(context):
    """The widget's button and panel, at the end of the page's <body>."""
    return _context(context)
