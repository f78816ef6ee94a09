"""Demo contracts for Scilla Transport: a dozen realistic shipments at different stages.

Made through the real services: create, send, void, the customer's first open, signing (which
queues the sealing, so `make run`'s worker seals them) and the shipment milestones. Customers are
told of each step through the outbox, as they would be.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contracts.milestones import DELIVERED, steps_for
from contracts.models import Contract, PortalSettings
from contracts.services.contracts import contract_create, contract_send, contract_void
from contracts.services.events import Actor
from contracts.services.signing import contract_document_sha256, contract_sign
from contracts.services.status import contract_lock, contract_transition
from contracts.services.tracking import contract_milestone_advance
from tenants.models import User

S = Contract.Status
CUSTOMER_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile Safari"

# (stage, milestone reached, fields). Stages: draft, sent, viewed, signed, expired, voided.
DEMO: list[tuple[str, int | None, dict]] = [
    (
        "signed",
        5,
        dict(
            customer_name="Marc Tremblay",
            customer_email="marc.tremblay@example.com",
            customer_phone="+14165550181",
            vehicle_year=2021,
            vehicle_make="Toyota",
            vehicle_model="Highlander",
            vehicle_vin="5TDGZRBH2MS123457",
            origin="Toronto, ON",
            destination="Antwerp, Belgium",
            service_type="roro",
            rate=Decimal("2850.00"),
            insurance="all_risk",
            insurance_rate=Decimal("1.50"),
            declared_value=Decimal("48000.00"),
        ),
    ),
    (
        "signed",
        2,
        dict(
            customer_name="Priya Raman",
            customer_email="priya.raman@example.com",
            customer_phone="+19055550123",
            origin="Vaughan, ON",
            destination="Vancouver, BC",
            service_type="domestic_moving",
            rate=Decimal("6400.00"),
            inclusions="Packing, 2 movers, 26 ft truck",
        ),
    ),
    (
        "signed",
        4,
        dict(
            customer_name="Julien Gagnon",
            customer_email="julien.gagnon@example.com",
            customer_phone="+15145550199",
            vehicle_year=2019,
            vehicle_make="Honda",
            vehicle_model="CR-V",
            origin="Montréal, QC",
            destination="Le Havre, France",
            service_type="container",
            rate=Decimal("3900.00"),
            insurance="total_loss",
            insurance_rate=Decimal("1.00"),
            declared_value=Decimal("27000.00"),
        ),
    ),
    (
        "signed",
        0,
        dict(
            customer_name="Siobhan MacLeod",
            customer_email="siobhan.macleod@example.com",
            customer_phone="+19025550147",
            vehicle_year=2018,
            vehicle_make="Subaru",
            vehicle_model="Outback",
            origin="Halifax, NS",
            destination="Bremerhaven, Germany",
            service_type="roro",
            rate=Decimal("2600.00"),
        ),
    ),
    (
        "signed",
        8,
        dict(
            customer_name="Kevin Nguyen",
            customer_email="kevin.nguyen@example.com",
            customer_phone="+14035550166",
            origin="Calgary, AB",
            destination="Toronto, ON",
            service_type="domestic_moving",
            rate=Decimal("5200.00"),
            inclusions="Loading, unloading, 2 movers",
        ),
    ),
    (
        "viewed",
        None,
        dict(
            customer_name="Amelia Brooks",
            customer_email="amelia.brooks@example.com",
            customer_phone="+16475550132",
            vehicle_year=2022,
            vehicle_make="Ford",
            vehicle_model="F-150",
            origin="Toronto, ON",
            destination="Southampton, UK",
            service_type="roro",
            rate=Decimal("3100.00"),
            currency="USD",
        ),
    ),
    (
        "viewed",
        None,
        dict(
            customer_name="Hassan Ali",
            customer_email="hassan.ali@example.com",
            customer_phone="+16135550155",
            vehicle_year=2017,
            vehicle_make="Lexus",
            vehicle_model="RX 350",
            origin="Ottawa, ON",
            destination="Jebel Ali, UAE",
            service_type="shared",
            rate=Decimal("2300.00"),
        ),
    ),
    (
        "sent",
        None,
        dict(
            customer_name="Olivia Chen",
            customer_email="olivia.chen@example.com",
            customer_phone="+16045550174",
            origin="Vancouver, BC",
            destination="Mississauga, ON",
            service_type="domestic_moving",
            rate=Decimal("5800.00"),
        ),
    ),
    (
        "sent",
        None,
        dict(
            customer_name="Luca Romano",
            customer_email="luca.romano@example.com",
            customer_phone="+19055550188",
            vehicle_year=2020,
            vehicle_make="Alfa Romeo",
            vehicle_model="Giulia",
            origin="Toronto, ON",
            destination="Genoa, Italy",
            service_type="container",
            rate=Decimal("4200.00"),
        ),
    ),
    (
        "draft",
        None,
        dict(
            customer_name="Fatima Diallo",
            customer_email="fatima.diallo@example.com",
            origin="Montréal, QC",
            destination="Dakar, Senegal",
            service_type="shared",
            rate=Decimal("2950.00"),
            vehicle_year=2015,
            vehicle_make="Toyota",
            vehicle_model="Corolla",
        ),
    ),
    (
        "expired",
        None,
        dict(
            customer_name="Daniel Kowalski",
            customer_email="daniel.kowalski@example.com",
            customer_phone="+12045550119",
            origin="Winnipeg, MB",
            destination="Gdańsk, Poland",
            service_type="container",
            rate=Decimal("4600.00"),
        ),
    ),
    (
        "voided",
        None,
        dict(
            customer_name="Grace Okafor",
            customer_email="grace.okafor@example.com",
            origin="Toronto, ON",
            destination="Lagos, Nigeria",
            service_type="roro",
            rate=Decimal("3300.00"),
        ),
    ),
]


def _customer(index: int, contract: Contract) -> Actor:
    return Actor(
        type="customer",
        label=contract.customer_name,
        ip=f"203.0.113.{10 + index}",
        user_agent=CUSTOMER_BROWSER,
    )


def _view(contract: Contract, customer: Actor) -> None:
    contract_transition(contract=contract_lock(contract.pk), to=S.VIEWED, actor=customer, event="viewed")


def _sign(contract: Contract, customer: Actor) -> None:
    fresh = Contract.objects.get(pk=contract.pk)
    contract_sign(
        contract=fresh,
        signer_name=fresh.customer_name,
        consent=True,
        image_png=b"",  # signed by typed name, as a customer without JavaScript would
        document_sha256=contract_document_sha256(fresh),
        actor=customer,
    )


def _milestones(contract: Contract, reached: int, staff: Actor) -> None:
    today = timezone.localdate()
    for step in steps_for(contract.service_type)[1:]:  # signing reached "Contract Signed"
        if step.index > reached:
            break
        # The step reached last gives the date the next one is expected; a delivery expects nothing.
        eta = today + timedelta(days=3) if step.index == reached != DELIVERED else None
        contract_milestone_advance(contract=contract, step_key_or_index=step.index, actor=staff, eta=eta)


@transaction.atomic
def contracts_demo_load(*, owner: User) -> int:
    """Create the demo contracts missing from the current tenant's schema; returns how many were made.
    Safe to run again: a customer already there is left as it is."""
    staff = Actor(type="owner", user=owner)
    today = timezone.localdate()
    portal = PortalSettings.load()
    if not Contract.objects.exists() and portal.reference_prefix == "IW":
        portal.reference_prefix = "SC"  # Scilla's own numbering, e.g. SC-2026-0042
        portal.save(update_fields=["reference_prefix"])
    made = 0
    for index, (stage, reached, fields) in enumerate(DEMO):
        if Contract.objects.filter(customer_email=fields["customer_email"]).exists():
            continue
        data = {
            "pickup_from": today + timedelta(days=7 + index),
            "pickup_to": today + timedelta(days=10 + index),
            "payment_terms": "50% deposit on signing, balance before loading.",
            **fields,
        }
        contract = contract_create(data=data, actor=staff)
        made += 1
        if stage == "draft":
            continue
        if stage == "voided":
            contract_void(
                contract=contract, actor=staff, reason="Customer chose another date; new contract to follow"
            )
            continue
        contract = contract_send(contract=contract, actor=staff)
        customer = _customer(index, contract)
        if stage == "expired":
            contract_transition(contract=contract_lock(contract.pk), to=S.EXPIRED, actor=Actor.system())
        if stage in {"viewed", "signed"}:
            _view(contract, customer)
        if stage == "signed":
            _sign(contract, customer)
            _milestones(contract, reached, staff)
    return made
