"""Seals that stopped (the broker was down at signing, or the task's retries ran out) are queued again
by the hourly sweep: `signed` after 15 minutes, `seal_failed` an hour after the last attempt, then
ever more rarely; once per sweep time, however often beat fires."""

import datetime as dt

import pytest
import time_machine
from django_tenants.utils import tenant_context

from contracts import tasks
from contracts.models import Contract
from contracts.services import sealing
from contracts.services.sealing import ContractSealFailed, contract_seal, seal_requeue_wait
from tests.contracts.sealing_helpers import sign

S = Contract.Status
SIGNED = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed(make_contract, send, django_capture_on_commit_callbacks):
    """A contract of `world` signed at SIGNED whose seal was never queued (the broker was down)."""

    def make(world) -> Contract:
        contract = send(world, make_contract(world))
        with time_machine.travel(SIGNED, tick=False), django_capture_on_commit_callbacks(execute=False):
            return sign(world, contract)

    return make


@pytest.fixture
def queued(monkeypatch):
    """The seal tasks queued, as (contract id, schema), instead of running them."""
    calls = []

    class Recorder:
        def apply_async(self, *, kwargs, headers):
            calls.append((kwargs["contract_id"], headers["_schema_name"]))

    monkeypatch.setattr(tasks, "contract_seal", Recorder())
    return calls


def kinds(world, contract) -> list[str]:
    with tenant_context(world.tenant):
        return [e.kind for e in contract.events.order_by("pk")]


def status(world, contract) -> str:
    with tenant_context(world.tenant):
        return Contract.objects.get(pk=contract.pk).status


def test_a_contract_left_signed_is_sealed_by_the_sweep_after_15_minutes(alpha, signed, sweep):
    contract = signed(alpha)
    sweep(SIGNED + dt.timedelta(minutes=14, seconds=59))
    assert status(alpha, contract) == S.SIGNED and "seal_requeued" not in kinds(alpha, contract)

    sweep(SIGNED + dt.timedelta(minutes=15))
    assert status(alpha, contract) == S.SEALED
    assert kinds(alpha, contract)[-2:] == ["seal_requeued", "sealed"]


def test_a_stuck_signed_contract_is_queued_once_per_15_minutes_in_its_schema(alpha, signed, sweep, queued):
    contract = signed(alpha)
    at = SIGNED + dt.timedelta(minutes=15)
    sweep(at)
    sweep(at)  # beat fired twice
    assert queued == [(contract.pk, "t_alpha")]
    sweep(at + dt.timedelta(minutes=14, seconds=59))
    assert len(queued) == 1
    sweep(at + dt.timedelta(minutes=15))
    assert len(queued) == 2


def test_a_failed_seal_is_queued_again_an_hour_after_its_last_attempt_then_ever_more_rarely(
    alpha, signed, sweep, queued, monkeypatch
):
    contract = signed(alpha)

    def broken_signer(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sealing, "contract_pdf_seal", broken_signer)
    failed = SIGNED + dt.timedelta(minutes=16)  # the task's last try
    with (
        tenant_context(alpha.tenant),
        time_machine.travel(failed, tick=False),
        pytest.raises(ContractSealFailed),
    ):
        contract_seal(contract_id=contract.pk)
    assert status(alpha, contract) == S.SEAL_FAILED

    sweep(failed + dt.timedelta(minutes=59, seconds=59))
    assert queued == []
    requeued = failed + dt.timedelta(hours=1)
    sweep(requeued)
    sweep(requeued)  # beat fired twice
    assert queued == [(contract.pk, "t_alpha")]

    sweep(requeued + dt.timedelta(hours=2) - dt.timedelta(seconds=1))  # the second wait is twice as long
    assert len(queued) == 1
    sweep(requeued + dt.timedelta(hours=2))
    assert len(queued) == 2
    with tenant_context(alpha.tenant):
        assert contract.events.filter(kind="seal_requeued").latest("pk").data == {
            "status": "seal_failed",
            "requeue": 2,
        }


def test_sealed_contracts_are_left_alone(alpha, signed, sweep, queued):
    contract = signed(alpha)
    with tenant_context(alpha.tenant):
        contract_seal(contract_id=contract.pk)
    sweep(SIGNED + dt.timedelta(days=3))
    assert queued == []


@pytest.mark.parametrize(
    ("status_", "requeued", "wait"),
    [
        (S.SIGNED, 0, dt.timedelta(minutes=15)),
        (S.SIGNED, 3, dt.timedelta(minutes=15)),
        (S.SEAL_FAILED, 0, dt.timedelta(hours=1)),
        (S.SEAL_FAILED, 1, dt.timedelta(hours=2)),
        (S.SEAL_FAILED, 4, dt.timedelta(hours=16)),
        (S.SEAL_FAILED, 5, dt.timedelta(days=1)),  # 32 hours, capped at a day
        (S.SEAL_FAILED, 500, dt.timedelta(days=1)),
    ],
)
def test_seal_requeue_wait(status_, requeued, wait):
    assert seal_requeue_wait(status=status_, requeued=requeued) == wait
