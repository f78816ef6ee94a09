"""Contract terms are written in Markdown; this turns them into HTML that is safe to show or print.

Raw HTML in the Markdown is escaped by the parser, and the result passes an allow-list sanitiser as
well: no images, scripts or styles, so nothing in the terms can load a resource (in a browser or in
the PDF renderer) or change how the rest of the page looks.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "ul", "ol", "li",
    "blockquote", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def terms_html(markdown_text: str) -> str:
    """The terms as sanitised HTML."""
    return nh3.clean(
        _markdown.render(markdown_text),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}, "ol": {"start"}},
        url_schemes={"https", "http", "mailto"},
    )
