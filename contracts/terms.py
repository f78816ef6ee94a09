"""Contract terms are written in Markdown by the tenant; customers see them as HTML.

Only the text-formatting tags a contract needs survive (no images, scripts, styles or forms), so
nothing in the terms can run, load or post anything from the customer's page.
"""

from __future__ import annotations

from django.utils.safestring import SafeString

from inkwell.markdown import markdown_html


def terms_html(markdown: str) -> SafeString:
    """The terms as safe HTML for a page or a PDF."""
    return markdown_html(markdown)
