"""Markdown written by a tenant (contract terms, landing pages) as HTML that cannot run anything.

The text is not trusted HTML, not even an owner's: markdown-it-py renders CommonMark with raw HTML
switched off, and nh3 then keeps only the tags and attributes the caller allows, so no script,
event handler, style, `javascript:` or `data:` URL survives into a customer's or visitor's page.
"""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

TEXT_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del",
    "ul", "ol", "li", "blockquote", "code", "pre", "a",
    "table", "thead", "tbody", "tr", "th", "td",
})  # fmt: skip
TEXT_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Relative links ("/moving/", "#quote") pass; of absolute ones only these schemes do.
URL_SCHEMES = frozenset({"https", "http", "mailto", "tel"})

markdown_parser = MarkdownIt("commonmark", {"html": False}).enable("table")


def html_clean(html: str, *, tags=TEXT_TAGS, attributes=TEXT_ATTRIBUTES) -> SafeString:
    clean = nh3.clean(
        html,
        tags=set(tags),
        attributes={tag: set(names) for tag, names in attributes.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 -- nh3 kept only the allowed tags and attributes


def markdown_html(markdown: str, *, tags=TEXT_TAGS, attributes=TEXT_ATTRIBUTES) -> SafeString:
    """`markdown` as sanitised HTML, keeping only `tags` and `attributes`."""
    return html_clean(markdown_parser.render(markdown or ""), tags=tags, attributes=attributes)
