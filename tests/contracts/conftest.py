"""Contract fixtures: contracts made through the real services, inside a tenant's schema."""

import re
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from contracts import tasks
from contracts.models import Contract
from contracts.services.contracts import contract_create
from contracts.services.events import Actor
from tenants.models import OutboundMessage

CONTRACT_DATA = dict(
    customer_name="Ada Client",
    customer_email="ada@example.com",
    customer_phone="+14165550777",
    vehicle_year=2019,
    vehicle_make="Toyota",
    vehicle_model="RAV4",
    vehicle_vin="1HGCM82633A004352",
    origin="Toronto, ON",
    destination="Antwerp, Belgium",
    service_type=Contract.ServiceType.RORO,
    rate=Decimal("2450.00"),
    currency="CAD",
)


@pytest.fixture
def make_contract():
    """make_contract(world, **fields) → a draft contract of that tenant, created by its owner."""

    def make(world, **fields) -> Contract:
        with tenant_context(world.tenant):
            return contract_create(data=CONTRACT_DATA | fields, actor=Actor(type="owner", user=world.owner))

    return make


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send(world, contract): contract_send as its owner, running what it queues after commit."""
    from contracts.services.contracts import contract_send

    def do(world, contract) -> Contract:
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            return contract_send(contract=contract, actor=Actor(type="owner", user=world.owner))

    return do


@pytest.fixture
def signed(make_contract, send):
    """signed(world, **fields): a contract sent, then signed by its customer through the signing service
    (typed name only), which reaches the first milestone."""
    from tests.contracts.sealing_helpers import sign

    def make(world, **fields) -> Contract:
        return sign(world, send(world, make_contract(world, **fields)), image=b"")

    return make


@pytest.fixture
def advance(django_capture_on_commit_callbacks):
    """advance(world, contract, step, **kw): a milestone by the owner, running the customer message."""
    from contracts.services.tracking import contract_milestone_advance

    def do(world, contract, step, **kwargs):
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            return contract_milestone_advance(
                contract=contract,
                step_key_or_index=step,
                actor=Actor(type="owner", user=world.owner),
                **kwargs,
            )

    return do


def texted_link(phone: str) -> str:
    """The token of the last contract link texted to `phone` (from the outbox)."""
    body = OutboundMessage.objects.filter(channel="sms", to=phone).latest("pk").body
    return re.search(r"/c/([\w-]+)/", body).group(1)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep(when): what beat does at `when` — the hourly fan-out to every tenant, run inline; returns
    the tenants' results."""

    def run(when):
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return tasks.contracts_sweep_all.apply().get()

    return run
