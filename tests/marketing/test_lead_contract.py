"""A won lead becomes a contract: the contract form comes pre-filled from the lead, and the lead
remembers its contract. Only won leads, only once, only on the lead's own tenant."""

import pytest
from django_tenants.utils import tenant_context

from contracts.models import Contract
from contracts.services.events import Actor
from marketing.models import Lead, LeadEvent
from marketing.services.leads import lead_status_set
from tenants.models import Membership
from tests.conftest import client_for
from tests.contracts.test_owner_pages import FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def won_lead(alpha, make_lead):
    lead, _ = make_lead(alpha, vehicle="2018 Jeep Grand Cherokee", preferred_date="2027-04-01")
    actor = Actor(type="owner", user=alpha.owner)
    with tenant_context(alpha.tenant):
        for status in ("contacted", "quoted", "won"):
            lead = lead_status_set(lead=lead, status=status, actor=actor)
    return lead


def _contracts(world):
    with tenant_context(world.tenant):
        return list(Contract.objects.all())


def test_the_form_is_pre_filled_from_the_won_lead(alpha, won_lead):
    client = client_for(alpha, user=alpha.member)
    assert f'href="/leads/{won_lead.pk}/contract/"' in client.get(f"/leads/{won_lead.pk}/").content.decode()
    form = client.get(f"/leads/{won_lead.pk}/contract/").context["form"]
    assert {
        name: form.initial.get(name) for name in ("customer_name", "customer_phone", "origin", "service_type")
    } == {
        "customer_name": "Marco Rossi",
        "customer_phone": "+14165550188",
        "origin": "Vaughan, ON",
        "service_type": "roro",
    }
    assert (form.initial["vehicle_year"], form.initial["vehicle_make"], form.initial["vehicle_model"]) == (
        2018,
        "Jeep",
        "Grand Cherokee",
    )
    assert str(form.initial["pickup_from"]) == "2027-04-01"


def test_converting_makes_one_contract_linked_to_the_lead_and_noted(alpha, won_lead):
    client = client_for(alpha, user=alpha.member)
    response = client.post(f"/leads/{won_lead.pk}/contract/", FORM)
    [contract] = _contracts(alpha)
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    with tenant_context(alpha.tenant):
        lead = Lead.objects.get(pk=won_lead.pk)
        event = lead.events.get(kind=LeadEvent.Kind.CONVERTED)
    assert lead.contract_id == contract.pk and contract.reference in event.note
    assert contract.reference in client.get(f"/leads/{won_lead.pk}/").content.decode()
    again = client.post(f"/leads/{won_lead.pk}/contract/", FORM)
    assert again.status_code == 409 and len(_contracts(alpha)) == 1


def test_a_lead_that_is_not_won_is_refused_and_nothing_is_made(alpha, make_lead):
    lead, _ = make_lead(alpha)
    response = client_for(alpha, user=alpha.owner).post(f"/leads/{lead.pk}/contract/", FORM)
    assert response.status_code == 409 and "move it to Won first" in response.content.decode()
    assert _contracts(alpha) == []


def test_bad_contract_fields_show_the_form_again_and_save_nothing(alpha, won_lead):
    response = client_for(alpha, user=alpha.owner).post(
        f"/leads/{won_lead.pk}/contract/", FORM | {"rate": "-1"}
    )
    assert response.status_code == 400 and _contracts(alpha) == []
    with tenant_context(alpha.tenant):
        assert Lead.objects.get(pk=won_lead.pk).contract_id is None


def test_contracts_switched_off_means_no_conversion(alpha, won_lead):
    alpha.tenant.config.feature_contracts = False
    alpha.tenant.config.save()
    assert client_for(alpha, user=alpha.owner).get(f"/leads/{won_lead.pk}/contract/").status_code == 404


def test_a_member_of_both_tenants_cannot_convert_a_lead_from_the_other_host(alpha, beta, won_lead):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    on_beta = client_for(beta, user=alpha.owner)
    assert on_beta.get(f"/leads/{won_lead.pk}/contract/").status_code == 404
    assert on_beta.post(f"/leads/{won_lead.pk}/contract/", FORM).status_code == 404
    assert _contracts(alpha) == [] and _contracts(beta) == []
