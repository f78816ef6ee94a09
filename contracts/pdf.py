"""The signed contract as a PDF (before sealing): summary, the frozen terms, the signature, and an
audit-certificate page listing every event of the contract's trail.

WeasyPrint renders it from a Django template. Fonts are the Inter files npm installs (served as
static files too): the machine's own fonts differ from one server to the next, and a contract must
look the same wherever it was rendered. The renderer may load those font files and the signature
image (a data: URL) and nothing else — no network, no other file.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path

from django.contrib.staticfiles import finders
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from contracts.models import Contract
from contracts.terms import terms_html

# (static path, font-weight, unicode-range or "" for the Latin base set)
FONT_FILES = [
    ("vendor/inter/inter-latin-400-normal.woff", 400, ""),
    ("vendor/inter/inter-latin-700-normal.woff", 700, ""),
    # Names such as Łukasz or Đorđe: Latin Extended-A/B only where the text needs it.
    ("vendor/inter/inter-latin-ext-400-normal.woff", 400, "U+0100-024F, U+1E00-1EFF"),
    ("vendor/inter/inter-latin-ext-700-normal.woff", 700, "U+0100-024F, U+1E00-1EFF"),
]


@functools.cache
def _fonts() -> tuple[tuple[str, int, str], ...]:
    """(file URL, weight, unicode-range) of each font, found where Django finds static files: the
    checkout's node_modules/, or the copy bundled into an installed package."""
    found = []
    for static_path, weight, unicode_range in FONT_FILES:
        path = finders.find(static_path)
        if path is None:
            raise FileNotFoundError(f"The contract typeface {static_path} is missing: run `make install`.")
        found.append((Path(path).resolve().as_uri(), weight, unicode_range))
    return tuple(found)


class _ContractFetcher(URLFetcher):
    """Fetches the font files and data: URLs only; anything else stops the rendering."""

    def __init__(self, allowed_files: frozenset[str]):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self._allowed_files = allowed_files

    def fetch(self, url, headers=None):
        if url.startswith("file:") and url not in self._allowed_files:
            raise ValueError(f"The contract PDF may not load {url}")
        return super().fetch(url, headers)


def contract_pdf_context(*, contract: Contract) -> dict:
    """The template context of the contract's PDF: the contract, the tenant's branding, the signature."""
    signature = getattr(contract, "signature", None)
    image = bytes(signature.image_png) if signature is not None and signature.image_png else b""
    config = connection.tenant.config
    return {
        "contract": contract,
        "brand": config.brand_name,
        "business_email": config.business_email,
        "business_phone": config.business_phone,
        "terms": terms_html(contract.terms_snapshot),
        "signature": signature,
        "signature_image": f"data:image/png;base64,{base64.b64encode(image).decode()}" if image else "",
        "events": list(contract.events.order_by("created", "pk")),
        "generated_at": timezone.now(),
        "fonts": _fonts(),
    }


def contract_pdf_render(*, contract: Contract, extra: dict | None = None) -> bytes:
    """The signed contract and its audit certificate as PDF bytes, in the current tenant's schema.

    `extra` adds to the template's context (the sealing service passes the seal's fingerprint).
    """
    html = render_to_string(
        "contracts/pdf/contract.html", contract_pdf_context(contract=contract) | (extra or {})
    )
    fetcher = _ContractFetcher(frozenset(url for url, _, _ in _fonts()))
    return HTML(string=html, url_fetcher=fetcher).write_pdf()
