"""Contract terms are written in Markdown by the tenant; customers see them as HTML.

The tenant's text is not trusted HTML: markdown-it-py renders it with raw HTML switched off, and
nh3 then keeps only the text-formatting tags a contract needs (no images, scripts, styles or
forms), so nothing in the terms can run, load or post anything from the customer's page.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del",
    "ul", "ol", "li", "blockquote", "code", "pre", "a",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def terms_html(markdown: str) -> SafeString:
    """The terms as safe HTML for a page or a PDF."""
    html = _markdown.render(markdown or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 -- nh3 kept only the tags and attributes above
