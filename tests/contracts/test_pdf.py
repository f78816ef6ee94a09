"""The contract PDF: what it shows, the typeface it ships, and what the renderer may load."""

from io import BytesIO

import pytest
from django.template.loader import render_to_string
from django_tenants.utils import tenant_context
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from contracts.models import Contract
from contracts.pdf import _ContractFetcher, _fonts, contract_pdf_context
from contracts.services.events import Actor, contract_event_record
from contracts.terms import terms_html
from tests.contracts.sealing_helpers import PNG, seal_once, sign


@pytest.fixture(scope="module")
def pdf(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return seal_once(django_db_setup["alpha"])


def page_fonts(data: bytes) -> tuple[int, set[str], dict]:
    reader = PdfFileReader(BytesIO(data))
    pages = reader.root["/Pages"]
    fonts = set()
    for kid in pages["/Kids"]:
        for font in kid.get_object()["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
    return pages["/Count"], fonts, dict(reader.trailer_view["/Info"])


def test_the_pdf_uses_only_the_shipped_inter_typeface_and_names_the_contract(pdf):
    pages, fonts, info = page_fonts(pdf.unsealed)
    assert fonts == {"Inter", "Inter-Bold"}  # never a font of the machine that rendered it
    assert pages >= 2  # the contract, then the audit certificate on a page of its own
    assert info["/Subject"] == pdf.reference and info["/Title"].startswith(f"Contract {pdf.reference}")


def signed_html(world, make_contract, send, **sign_args) -> tuple[list, str]:
    contract = send(world, make_contract(world, inclusions="Port fees at origin"))
    contract = sign(world, contract, **sign_args)
    with tenant_context(world.tenant):
        contract_event_record(
            contract=contract,
            kind="milestone",
            actor=Actor(
                type="staff", label="dispatch@alpha.example", ip="198.51.100.4", user_agent="Desk/1.0"
            ),
            data={"step": 1},
        )
        contract = Contract.objects.get(pk=contract.pk)
        context = contract_pdf_context(contract=contract) | {"seal_fingerprint": "f" * 64, "deployment": "x"}
        return list(contract.events.order_by("pk")), render_to_string("contracts/pdf/contract.html", context)


def test_the_pdf_shows_the_summary_terms_signature_and_every_event(alpha, make_contract, send):
    events, html = signed_html(alpha, make_contract, send)
    for text in ["Ada Client", "2019 Toyota RAV4", "1HGCM82633A004352", "Toronto, ON", "Antwerp, Belgium",
                 "RoRo (roll-on/roll-off)", "2450.00 CAD", "Port fees at origin"]:  # fmt: skip
        assert text in html
    assert "<h2>1. Services</h2>" in html  # the frozen Markdown terms, rendered
    assert 'src="data:image/png;base64,' in html and "Signed by typed name" not in html
    # The audit certificate: each event with time (UTC), kind, actor, IP and user agent.
    # (signing itself reaches the first milestone, "Contract Signed")
    assert [e.kind for e in events] == [
        "created",
        "sent",
        "link_delivered",
        "signed",
        "milestone",
        "milestone",
    ]
    for event in events:
        assert f"<td>{event.created:%Y-%m-%d %H:%M:%S}</td>\n    <td>{event.kind}</td>" in html
    assert (
        "<td>Customer: Ada Client</td>\n    <td>203.0.113.9</td>\n    <td>Mozilla/5.0 (iPhone; test)</td>"
        in html
    )
    assert "<td>Staff: dispatch@alpha.example</td>\n    <td>198.51.100.4</td>\n    <td>Desk/1.0</td>" in html
    assert "step: 1" in html
    # The signer, the document they were shown, and the seal's certificate.
    assert (
        events[0].contract.signature.document_sha256 in html
        and "I have read the contract and its terms" in html
        and "f" * 64 in html
    )


def test_a_signature_by_typed_name_alone_says_so(alpha, make_contract, send):
    _, html = signed_html(alpha, make_contract, send, image=b"", name="Ada Q. Client")
    assert "data:image/png" not in html
    assert (
        '<p class="typed">Ada Q. Client</p>' in html and "Signed by typed name (no drawn signature)." in html
    )
    assert "typed name only" in html


def test_terms_markdown_cannot_load_anything_or_inject_markup():
    html = terms_html(
        "# Terms\n\n<script>alert(1)</script>\n\n![x](https://example.com/x.png) [a](javascript:alert(1)) "
        '[b](https://example.com) <img src="http://169.254.169.254/">'
    )
    assert "<h1>Terms</h1>" in html and '<a href="https://example.com"' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in html  # raw HTML is shown as text


def test_the_renderer_may_load_the_fonts_and_data_urls_only():
    fetcher = _ContractFetcher(frozenset(url for url, _, _ in _fonts()))
    font = _fonts()[0][0]
    assert fetcher.fetch(font).read(4) == b"wOFF"
    assert (
        fetcher.fetch("data:image/png;base64," + __import__("base64").b64encode(PNG).decode()).read() == PNG
    )
    with pytest.raises(ValueError, match="may not load"):
        fetcher.fetch("file:///etc/hostname")
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch("http://169.254.169.254/latest/meta-data/")
    # A refused resource stops the rendering instead of leaving a PDF without it.
    with pytest.raises(FatalURLFetchingError):
        HTML(string='<p><img src="file:///etc/hostname"></p>', url_fetcher=fetcher).write_pdf()
