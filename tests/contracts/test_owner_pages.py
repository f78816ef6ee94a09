"""Owner pages under /contracts/: list, create (and send), detail, resend, void, sealed PDF."""

import pytest
from django.core.files.base import ContentFile
from django_tenants.utils import tenant_context

from contracts.models import Contract
from tenants.models import Membership, OutboundMessage
from tests.conftest import client_for
from tests.contracts.conftest import CONTRACT_DATA

FORM = {key: str(value) for key, value in CONTRACT_DATA.items()} | {
    "contact_preference": "both",
    "insurance": "declined",
    "insurance_rate": "0",
    "declared_value": "0",
}


def contracts_of(world):
    with tenant_context(world.tenant):
        return list(Contract.objects.all())


def test_a_member_creates_and_sends_from_the_form(alpha, django_capture_on_commit_callbacks):
    client = client_for(alpha, user=alpha.member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contracts/new/", FORM | {"send_now": "on"})
    [contract] = contracts_of(alpha)
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.status == "sent" and contract.created_by_id == alpha.member.pk
    assert OutboundMessage.objects.filter(channel="sms", to=CONTRACT_DATA["customer_phone"]).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert contract.reference in page and "created and sent" in page and "Resend (new link)" in page


def test_unticked_send_saves_a_draft(alpha):
    client_for(alpha, user=alpha.owner).post("/contracts/new/", FORM)
    [contract] = contracts_of(alpha)
    assert contract.status == "draft" and not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("vehicle_vin", "1HGCM82633A004353"),
        ("customer_phone", "555"),
        ("rate", "-1"),
        ("pickup_to", "2026-01-01"),
    ],
)
def test_an_invalid_form_is_400_with_the_fields_message_and_stores_nothing(alpha, field, value):
    data = FORM | {field: value, "pickup_from": "2026-02-01"}
    response = client_for(alpha, user=alpha.owner).post("/contracts/new/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert contracts_of(alpha) == []


def test_the_list_searches_and_filters(alpha, make_contract, send):
    ada = make_contract(alpha, customer_name="Ada Client")
    bob = send(alpha, make_contract(alpha, customer_name="Bob Buyer"))
    client = client_for(alpha, user=alpha.member)
    page = client.get("/contracts/").content.decode()
    assert ada.reference in page and bob.reference in page
    assert (
        "Contracts</a>" in page and 'href="/contracts/verify/"' in page
    )  # the nav link, and where to check a PDF
    by_name = client.get("/contracts/", {"q": "bob"}).content.decode()
    assert bob.reference in by_name and ada.reference not in by_name
    by_status = client.get("/contracts/", {"status": "draft"}).content.decode()
    assert ada.reference in by_status and bob.reference not in by_status
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=bob.pk).update(milestone=2)
    by_step = client.get("/contracts/", {"milestone": "2"}).content.decode()
    assert bob.reference in by_step and ada.reference not in by_step and "Vehicle Pickup" in by_step


def test_the_list_pages_hold_25_and_its_queries_do_not_grow(alpha, make_contract, django_assert_num_queries):
    for n in range(26):
        make_contract(alpha, customer_name=f"Customer {n:02d}")
    client = client_for(alpha, user=alpha.owner)
    first = client.get("/contracts/")
    assert len(first.context["page"].object_list) == 25 and "Page 1 of 2" in first.content.decode()
    assert len(client.get("/contracts/", {"page": 2}).context["page"].object_list) == 1
    # Session, user, membership, domain, then the count and the page; each with its SET search_path.
    with django_assert_num_queries(12):
        client.get("/contracts/")


def test_detail_shows_the_audit_trail_and_timeline(alpha, make_contract, send):
    contract = send(alpha, make_contract(alpha, service_type="domestic_moving"))
    page = client_for(alpha, user=alpha.owner).get(f"/contracts/{contract.pk}/").content.decode()
    assert "link_delivered" in page and "Version 1, frozen" in page
    assert "Vehicle Pickup" in page and "Customs Clearance" not in page  # domestic: no port steps


def test_resend_and_void_from_the_detail_page(alpha, make_contract, send, django_capture_on_commit_callbacks):
    contract = send(alpha, make_contract(alpha))
    client = client_for(alpha, user=alpha.member)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/contracts/{contract.pk}/send/")
    assert OutboundMessage.objects.filter(channel="sms").count() == 2
    client.post(f"/contracts/{contract.pk}/void/", {"reason": "Duplicate"})
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.status == "voided" and contract.events.latest("pk").data["reason"] == "Duplicate"
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Void this contract" not in page and "Resend" not in page
    assert client.post(f"/contracts/{contract.pk}/send/").status_code == 409


def test_resend_is_post_only(alpha, make_contract):
    contract = make_contract(alpha)
    assert client_for(alpha, user=alpha.owner).get(f"/contracts/{contract.pk}/send/").status_code == 405


def test_the_sealed_pdf_downloads_to_members_only(alpha, beta, make_contract, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    contract = make_contract(alpha)
    client = client_for(alpha, user=alpha.member)
    assert client.get(f"/contracts/{contract.pk}/sealed.pdf").status_code == 404  # not sealed yet
    assert "Download sealed PDF" not in client.get(f"/contracts/{contract.pk}/").content.decode()
    with tenant_context(alpha.tenant):
        contract.sealed_pdf.save("sealed.pdf", ContentFile(b"%PDF-1.7 sealed"))
    response = client.get(f"/contracts/{contract.pk}/sealed.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.7 sealed"
    assert response["Content-Disposition"] == f'attachment; filename="{contract.reference}.pdf"'
    assert "Download sealed PDF" in client.get(f"/contracts/{contract.pk}/").content.decode()
    assert client_for(alpha).get(f"/contracts/{contract.pk}/sealed.pdf").status_code == 302  # sign in
    assert client_for(alpha, user=beta.owner).get(f"/contracts/{contract.pk}/sealed.pdf").status_code == 404


def test_a_member_of_both_cannot_reach_alphas_contract_on_betas_host(alpha, beta, make_contract):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    contract = make_contract(alpha)
    on_beta = client_for(beta, user=alpha.owner)
    assert on_beta.get(f"/contracts/{contract.pk}/").status_code == 404
    assert on_beta.post(f"/contracts/{contract.pk}/void/").status_code == 404
    assert contract.reference not in on_beta.get("/contracts/").content.decode()
    assert contracts_of(alpha)[0].status == "draft"


def test_pages_are_for_members_and_off_with_the_area(alpha, beta):
    assert client_for(alpha).get("/contracts/").status_code == 302
    assert client_for(alpha, user=beta.owner).get("/contracts/").status_code == 404
    config = alpha.tenant.config
    config.feature_contracts = False
    config.save(update_fields=["feature_contracts"])
    client = client_for(alpha, user=alpha.owner)
    assert client.get("/contracts/").status_code == 404
    assert "/contracts/" not in client.get("/dashboard/settings/").content.decode()


def test_the_detail_page_moves_a_signed_shipment_one_step(alpha, make_contract):
    contract = make_contract(alpha)
    client = client_for(alpha, user=alpha.owner)
    assert (
        "Tracking starts once the customer has signed."
        in client.get(f"/contracts/{contract.pk}/").content.decode()
    )
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(status="signed", milestone=0)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert 'name="step" value="documents"' in page
