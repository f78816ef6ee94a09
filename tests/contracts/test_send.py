"""Creating and sending contracts: references, frozen terms, the customer's link by SMS and email."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from contracts.models import Contract, ContractEvent
from contracts.services.contracts import (
    contract_create,
    contract_link_deliver,
    contract_template_publish,
    contract_void,
)
from contracts.services.events import Actor
from contracts.services.links import ContractLinkUnknown, contract_by_link
from tenants.models import OutboundMessage
from tests.contracts.conftest import CONTRACT_DATA, texted_link


def owner(world):
    return Actor(type="owner", user=world.owner)


def test_references_count_up_per_tenant_and_year(alpha, beta, make_contract):
    first, second = make_contract(alpha), make_contract(alpha)
    other = make_contract(beta)
    year = first.created.year
    assert (first.reference, second.reference) == (f"IW-{year}-0001", f"IW-{year}-0002")
    assert other.reference == f"IW-{year}-0001"  # beta's own numbering, in beta's own schema


@pytest.mark.parametrize(
    "field, value",
    [
        ("vehicle_vin", "1HGCM82633A004353"),
        ("customer_phone", "555"),
        ("rate", "-1"),
        ("service_type", "air"),
    ],
)
def test_invalid_contracts_are_field_errors_and_store_nothing(alpha, field, value):
    with tenant_context(alpha.tenant):
        with pytest.raises(ValidationError) as raised:
            contract_create(data=CONTRACT_DATA | {field: value}, actor=owner(alpha))
        assert field in raised.value.message_dict
        assert not Contract.objects.exists()


def test_sending_texts_and_emails_a_working_link_and_freezes_the_terms(alpha, make_contract, send):
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        send(alpha, contract)
        token = texted_link(CONTRACT_DATA["customer_phone"])
        found = contract_by_link(token)
        assert found.pk == contract.pk and found.status == "sent"
        assert f"/c/{token}/" in mail.outbox[-1].body and contract.reference in mail.outbox[-1].subject
        contract_template_publish(
            title="New terms", terms="Changed", consent_text="I agree", actor=owner(alpha)
        )
        found.refresh_from_db()
        assert found.template.version == 1 and "Rate and payment" in found.terms_snapshot
        kinds = list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
        assert kinds == ["created", "sent", "link_delivered"]


def test_a_resend_rotates_the_link(alpha, make_contract, send):
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        send(alpha, contract)
        old = texted_link(CONTRACT_DATA["customer_phone"])
        send(alpha, contract)
        new = texted_link(CONTRACT_DATA["customer_phone"])
        assert new != old and contract_by_link(new).pk == contract.pk
        with pytest.raises(ContractLinkUnknown):
            contract_by_link(old)


def test_a_redelivered_link_task_sends_nothing_more(alpha, make_contract, send):
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        send(alpha, contract)
        sent = ContractEvent.objects.get(contract=contract, kind="sent")
        texts = OutboundMessage.objects.filter(channel="sms").count()
        assert contract_link_deliver(contract_id=contract.pk, send_event_id=sent.pk) is False
        assert OutboundMessage.objects.filter(channel="sms").count() == texts


def test_email_only_customers_get_no_sms(alpha, make_contract, send):
    contract = make_contract(alpha, contact_preference="email")
    with tenant_context(alpha.tenant):
        send(alpha, contract)
    assert not OutboundMessage.objects.filter(channel="sms", to=CONTRACT_DATA["customer_phone"]).exists()
    assert mail.outbox[-1].to == [CONTRACT_DATA["customer_email"]]


def test_a_voided_contract_link_stops_working(alpha, make_contract, send):
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        send(alpha, contract)
        token = texted_link(CONTRACT_DATA["customer_phone"])
        contract_void(contract=contract, actor=owner(alpha), reason="customer changed plans")
        with pytest.raises(ContractLinkUnknown):
            contract_by_link(token)
