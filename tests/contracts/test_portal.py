"""The customer's link pages: 404/410, the first open, privacy headers, the tracking view, the PDF."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from contracts.models import Contract, ContractEvent, Milestone
from contracts.services.contracts import contract_void
from contracts.services.events import Actor
from contracts.services.signing import contract_document_sha256, contract_sign
from contracts.terms import terms_html
from tests.conftest import client_for
from tests.contracts.conftest import CONTRACT_DATA, texted_link

PHONE = CONTRACT_DATA["customer_phone"]


@pytest.fixture
def opened(alpha, make_contract, send):
    """A sent contract of alpha and its link token."""
    contract = make_contract(alpha)
    send(alpha, contract)
    return contract, texted_link(PHONE)


def customer(world):
    return client_for(world, HTTP_USER_AGENT="Phone/1.0")


def events(world, contract, kind):
    with tenant_context(world.tenant):
        return list(ContractEvent.objects.filter(contract=contract, kind=kind))


def without_csrf(response) -> str:
    """The page with its CSRF token (masked differently on every answer) taken out."""
    return re.sub(r'"X-CSRFToken": "\w+"', "", response.content.decode())


def assert_private(response):
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_the_link_shows_the_contract_and_records_the_first_open_only(alpha, opened):
    contract, token = opened
    page = customer(alpha).get(f"/c/{token}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert contract.reference in body and "2,450.00 CAD" in body and "2019 Toyota RAV4" in body
    assert "Rate and payment" in body  # the frozen terms, rendered
    with tenant_context(alpha.tenant):
        assert contract_document_sha256(type(contract).objects.get(pk=contract.pk)) in body
    assert_private(page)
    customer(alpha).get(f"/c/{token}/")
    viewed = events(alpha, contract, "viewed")
    assert len(viewed) == 1
    assert viewed[0].actor_type == "customer" and viewed[0].user_agent == "Phone/1.0" and viewed[0].ip


def test_unknown_rotated_and_revoked_links_are_the_plain_404(alpha, opened, send):
    contract, token = opened
    any_404 = customer(alpha).get("/no-such-page/")
    assert any_404.status_code == 404
    unknown = customer(alpha).get(f"/c/{'x' * 43}/")
    send(alpha, contract)  # a resend rotates the link
    rotated = customer(alpha).get(f"/c/{token}/")
    with tenant_context(alpha.tenant):
        contract_void(contract=contract, actor=Actor(type="owner", user=alpha.owner))
    revoked = customer(alpha).get(f"/c/{texted_link(PHONE)}/")
    for response in (unknown, rotated, revoked):
        assert response.status_code == 404 and without_csrf(response) == without_csrf(any_404)
        assert_private(response)


def test_a_link_of_another_tenant_is_unknown_here(alpha, beta, opened):
    _contract, token = opened
    assert customer(beta).get(f"/c/{token}/").status_code == 404


def test_an_expired_link_says_how_to_get_a_new_one(alpha, opened):
    contract, token = opened
    with tenant_context(alpha.tenant):
        contract.link_expires_at = timezone.now() - timedelta(seconds=1)
        contract.save(update_fields=["link_expires_at"])
    page = customer(alpha).get(f"/c/{token}/")
    assert page.status_code == 410 and "Ask Alpha Movers for a new link" in page.content.decode()
    assert_private(page)
    assert events(alpha, contract, "viewed") == []


def test_the_link_is_off_when_the_tenant_switches_contracts_off(alpha, opened):
    _contract, token = opened
    alpha.tenant.config.feature_contracts = False
    alpha.tenant.config.save()
    assert customer(alpha).get(f"/c/{token}/").status_code == 404


def test_terms_markdown_is_rendered_without_anything_that_could_run():
    html = terms_html(
        "## Heading\n\n<script>alert(1)</script> [bad](javascript:alert(1)) [ok](https://example.com)\n\n"
        '<img src=x onerror="alert(1)">'
    )
    assert "<h2>Heading</h2>" in html
    assert (
        "<script" not in html and "<img" not in html and "javascript:" not in html.replace("(javascript:", "")
    )
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html


def _sign(world, contract):
    with tenant_context(world.tenant):
        fresh = type(contract).objects.get(pk=contract.pk)
        contract_sign(
            contract=fresh,
            signer_name="Ada Client",
            consent=True,
            image_png=b"",
            document_sha256=contract_document_sha256(fresh),
            actor=Actor(type="customer", ip="203.0.113.5"),
        )
        return type(contract).objects.get(pk=contract.pk)


def test_after_signing_the_link_shows_the_tracking_timeline(alpha, opened):
    contract, token = opened
    contract = _sign(alpha, contract)
    with tenant_context(alpha.tenant):
        Milestone.objects.create(contract=contract, step=1, note="Passport and title received")
        Milestone.objects.create(contract=contract, step=2, eta=timezone.localdate() + timedelta(days=3))
        contract.milestone = 2
        contract.save(update_fields=["milestone"])
    page = customer(alpha).get(f"/c/{token}/")
    body = page.content.decode()
    assert page.status_code == 200 and "is signed" in body
    assert body.count('class="reached') == 3 and 'class="reached current" aria-current="step"' in body
    assert "Passport and title received" in body and "Expected by" in body
    assert "Customs Clearance" in body  # overseas: the port steps are there
    assert "being prepared" in body and "contract.pdf" not in body
    assert_private(page)


def test_a_domestic_move_skips_the_port_steps(alpha, make_contract, send):
    contract = make_contract(alpha, service_type="domestic_moving", destination="Vancouver, BC")
    send(alpha, contract)
    token = texted_link(PHONE)
    _sign(alpha, contract)
    body = customer(alpha).get(f"/c/{token}/").content.decode()
    assert "Vehicle Pickup" in body and "Delivered" in body
    assert "At Port/Warehouse" not in body and "Customs Clearance" not in body


def test_a_correction_back_unreaches_the_later_steps(alpha, opened):
    contract, token = opened
    contract = _sign(alpha, contract)
    with tenant_context(alpha.tenant):
        Milestone.objects.create(contract=contract, step=1)
        Milestone.objects.create(contract=contract, step=2)
        Milestone.objects.create(contract=contract, step=1, correction_reason="Pickup was not done")
        contract.milestone = 1
        contract.save(update_fields=["milestone"])
    body = customer(alpha).get(f"/c/{token}/").content.decode()
    assert body.count('class="reached') == 2


def test_the_sealed_pdf_downloads_only_through_the_link(alpha, opened, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    contract, token = opened
    contract = _sign(alpha, contract)
    assert customer(alpha).get(f"/c/{token}/contract.pdf").status_code == 404  # not sealed yet
    with tenant_context(alpha.tenant):
        contract.sealed_pdf.save("sealed.pdf", ContentFile(b"%PDF-1.7 sealed"), save=True)
        name = contract.sealed_pdf.name
    page = customer(alpha).get(f"/c/{token}/")
    assert f"/c/{token}/contract.pdf" in page.content.decode()
    download = customer(alpha).get(f"/c/{token}/contract.pdf")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.7 sealed"
    assert download["Content-Disposition"] == f'attachment; filename="{contract.reference}.pdf"'
    assert_private(download)
    assert customer(alpha).get(f"/media/{name}").status_code == 404
    assert customer(alpha).get(f"/c/{'x' * 43}/contract.pdf").status_code == 404


def test_a_signed_customer_keeps_following_the_shipment_after_the_signing_deadline(alpha, opened):
    contract, token = opened
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(link_expires_at=timezone.now() - timedelta(seconds=1))
    assert customer(alpha).get(f"/c/{token}/").status_code == 410  # unsigned: the deadline holds
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(link_expires_at=timezone.now() + timedelta(days=1))
    _sign(alpha, contract)
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(link_expires_at=timezone.now() - timedelta(seconds=1))
    assert customer(alpha).get(f"/c/{token}/").status_code == 200
