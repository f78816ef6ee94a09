"""The contract foundation: VIN check digits, the status table, the append-only audit trail."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django_tenants.utils import tenant_context

from contracts.milestones import next_step, steps_for
from contracts.models import Contract, ContractEvent
from contracts.services.events import Actor
from contracts.services.status import ALLOWED_TRANSITIONS, contract_lock, contract_transition
from contracts.validators import vin_check_digit_ok
from inkwell.errors import Conflict


@pytest.mark.parametrize("vin", ["1HGCM82633A004352", "1M8GDM9AXKP042788", "1hgcm82633a004352"])
def test_vins_with_a_right_check_digit_pass(vin):
    assert vin_check_digit_ok(vin)


@pytest.mark.parametrize(
    "vin", ["1HGCM82633A004353", "1HGCM82633A00435", "1HGCM82633A0043522", "1HGCM8263OA004352", ""]
)
def test_vins_with_a_wrong_digit_length_or_letter_fail(vin):
    assert not vin_check_digit_ok(vin)


def test_domestic_moves_skip_port_vessel_and_customs():
    assert [s.key for s in steps_for("domestic_moving")] == [
        "signed",
        "documents",
        "pickup",
        "transit",
        "delivered",
    ]
    assert len(steps_for("roro")) == 9
    assert next_step("domestic_moving", 2).key == "transit"
    assert next_step("roro", 2).key == "port"
    assert next_step("roro", 8) is None


def _contract(**fields) -> Contract:
    defaults = dict(
        reference=f"T-{Contract.objects.count() + 1}",
        customer_name="Ada Client",
        customer_email="ada@example.com",
        origin="Toronto, ON",
        destination="Antwerp, Belgium",
        service_type=Contract.ServiceType.RORO,
        rate=Decimal("2450.00"),
    )
    return Contract.objects.create(**(defaults | fields))


def test_allowed_moves_apply_and_are_audited(alpha):
    with tenant_context(alpha.tenant), transaction.atomic():
        contract = contract_lock(_contract().pk)
        contract_transition(
            contract=contract, to=Contract.Status.SENT, actor=Actor(type="owner", user=alpha.owner)
        )
        assert contract.sent_at is not None
        event = ContractEvent.objects.get(contract=contract)
        assert (event.kind, event.actor, event.data) == ("sent", alpha.owner, {"from": "draft", "to": "sent"})


@pytest.mark.parametrize("start", ["draft", "sealed", "voided"])
def test_illegal_moves_are_conflicts_and_change_nothing(alpha, start):
    with tenant_context(alpha.tenant), transaction.atomic():
        contract = contract_lock(_contract(status=start).pk)
        with pytest.raises(Conflict) as raised:
            contract_transition(contract=contract, to=Contract.Status.SIGNED, actor=Actor.system())
        assert raised.value.code == "illegal_transition" and raised.value.status_code == 409
        assert Contract.objects.get(pk=contract.pk).status == start
        assert not ContractEvent.objects.filter(contract=contract).exists()


def test_signed_contracts_never_go_back_to_draft_or_sent():
    assert not ALLOWED_TRANSITIONS["signed"] & {"draft", "sent", "viewed", "voided"}


@pytest.mark.parametrize("statement", ["UPDATE {t} SET kind = 'forged'", "DELETE FROM {t}"])
def test_the_database_refuses_to_rewrite_the_audit_trail(alpha, statement):
    with tenant_context(alpha.tenant):
        with transaction.atomic():
            contract = contract_lock(_contract().pk)
            contract_transition(contract=contract, to=Contract.Status.SENT, actor=Actor.system())
        with (
            pytest.raises((InternalError, ProgrammingError)),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement.format(t="contracts_contractevent"))
        assert ContractEvent.objects.get(contract=contract).kind == "sent"
