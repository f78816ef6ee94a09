"""Demo contracts for Scilla Transport: a dozen realistic shipments at different stages.

Made through the real services where they exist (create, send, void, the status machine). The
customer's side (opening the link, signing) and the shipment milestones are written here the way
those steps record them, so the owner pages show every stage before anyone has signed on a phone.
Contracts signed here are not sealed: there is no PDF of a signing that never happened.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, Milestone, PortalSettings, Signature
from contracts.services.contracts import contract_create, contract_send, contract_void
from contracts.services.events import Actor, contract_event_record
from contracts.services.status import contract_lock, contract_transition
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
    locked = contract_lock(contract.pk)
    Signature.objects.create(
        contract=locked,
        signer_name=locked.customer_name,
        signed_at=timezone.now(),
        ip=customer.ip,
        user_agent=customer.user_agent,
        consent_text=locked.consent_snapshot,
        terms_version=locked.template.version,
        document_sha256=hashlib.sha256(locked.terms_snapshot.encode()).hexdigest(),
    )
    contract_transition(contract=locked, to=S.SIGNED, actor=customer)
    locked.link_digest = None
    locked.save(update_fields=["link_digest", "updated"])


def _milestones(contract: Contract, reached: int, staff: Actor) -> None:
    from contracts.milestones import DELIVERED, steps_for

    today = timezone.localdate()
    for step in steps_for(contract.service_type):
        if step.index > reached:
            break
        # The step reached so far gives the date the next one is expected; a delivery expects nothing.
        eta = today + timedelta(days=3) if step.index == reached != DELIVERED else None
        Milestone.objects.create(contract=contract, step=step.index, eta=eta)
        contract_event_record(
            contract=contract, kind="milestone", actor=staff, data={"step": step.index, "label": step.label}
        )
    Contract.objects.filter(pk=contract.pk).update(milestone=reached)


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
