"""Reminders for unsigned contracts and their expiry: hourly per tenant, in tenant-local days and
daytime hours, each reminder once whatever beat does, none after signing, voiding or expiry."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import tenant_context

from contracts.models import Contract, ContractEvent, PortalSettings
from contracts.services.contracts import contract_void
from contracts.services.events import Actor
from contracts.services.links import ContractLinkExpired, ContractLinkUnknown, contract_by_link
from contracts.services.reminders import reminder_schedule
from contracts.services.status import contract_lock, contract_transition
from inkwell.fanout import for_each_tenant
from tenants.models import OutboundMessage, Tenant
from tests.contracts.conftest import CONTRACT_DATA, texted_link

TORONTO = ZoneInfo("America/Toronto")
PHONE = CONTRACT_DATA["customer_phone"]
# Monday 23:30 in Toronto is already Tuesday 04:30 UTC: local days and UTC days differ here.
SENT = dt.datetime(2026, 3, 2, 23, 30, tzinfo=TORONTO)


@pytest.fixture
def toronto(alpha):
    alpha.tenant.config.timezone = "America/Toronto"
    alpha.tenant.config.save()
    return alpha


@pytest.fixture
def sent_at(make_contract, send):
    def make(world, when=SENT, **fields) -> Contract:
        with time_machine.travel(when, tick=False):
            return send(world, make_contract(world, **fields))

    return make


def reminders(phone=PHONE):
    return OutboundMessage.objects.filter(channel="sms", to=phone, body__contains="a reminder")


def local(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TORONTO)


def test_reminders_count_tenant_local_days_and_wait_for_the_morning(toronto, sent_at, sweep):
    contract = sent_at(toronto)
    sweep(local(4, 8, 59))  # two local days later, but before 9:00 there
    assert not reminders().exists()
    sweep(local(4, 9, 0))  # UTC days would make this Thursday; it is due Wednesday 9:00 in Toronto
    assert reminders().count() == 1
    with tenant_context(toronto.tenant):
        contract.refresh_from_db()
        assert contract.reminders_sent == 1
        event = ContractEvent.objects.get(contract=contract, kind="reminded")
        assert event.data == {"reminder": 1, "of": 2}


def test_no_reminders_late_in_the_evening(toronto, sent_at, sweep):
    sent_at(toronto)
    sweep(local(4, 20, 0))
    assert not reminders().exists()
    sweep(local(4, 19, 59))
    assert reminders().count() == 1


def test_a_reminder_carries_a_working_link_with_the_same_deadline(toronto, sent_at, sweep):
    contract = sent_at(toronto)
    with tenant_context(toronto.tenant):
        first = texted_link(PHONE)
        deadline = Contract.objects.get(pk=contract.pk).link_expires_at
    sweep(local(4, 10))
    with tenant_context(toronto.tenant):
        fresh = texted_link(PHONE)
        assert fresh != first
        with time_machine.travel(local(4, 10), tick=False):
            assert contract_by_link(fresh).pk == contract.pk
            with pytest.raises(ContractLinkUnknown):
                contract_by_link(first)
        assert Contract.objects.get(pk=contract.pk).link_expires_at == deadline
    # The original deadline (sent 04:30 UTC on March 3, plus 30 days), not 30 days from the reminder.
    assert "(link valid until Apr 2)" in reminders().get().body


def test_each_reminder_runs_once_even_if_beat_fires_twice(toronto, sent_at, sweep):
    contract = sent_at(toronto)
    sweep(local(4, 9))
    sweep(local(4, 9))
    sweep(local(5, 12))  # day 3: nothing new due
    assert reminders().count() == 1
    sweep(local(7, 9))  # day 5: the second
    sweep(local(7, 9, 1))
    assert reminders().count() == 2
    sweep(local(20, 9))  # only two configured
    assert reminders().count() == 2
    with tenant_context(toronto.tenant):
        assert Contract.objects.get(pk=contract.pk).reminders_sent == 2


def test_at_most_three_reminders(toronto, sent_at, sweep):
    with tenant_context(toronto.tenant):
        settings = PortalSettings.load()
        settings.reminder_days = [1, 2, 3, 4]
        settings.save()
    sent_at(toronto)
    for day in [3, 4, 5, 6, 7]:
        sweep(local(day, 10))
    assert reminders().count() == 3


def test_missed_reminders_are_not_sent_in_a_burst(toronto, sent_at, sweep):
    contract = sent_at(toronto)
    sweep(local(10, 10))  # beat was down on day 2 and day 5
    sweep(local(10, 11))
    assert reminders().count() == 1
    with tenant_context(toronto.tenant):
        assert Contract.objects.get(pk=contract.pk).reminders_sent == 2


def test_reminder_schedule_is_cleaned():
    assert reminder_schedule([5, 2, 2, 0, -1, "3", True, 9, 1]) == [1, 2, 5]
    assert reminder_schedule(None) == []


def test_no_reminders_after_signing_or_voiding(toronto, sent_at, sweep):
    signed = sent_at(toronto)
    voided = sent_at(toronto, customer_phone="+14165550888")
    with tenant_context(toronto.tenant):
        from django.db import transaction

        with transaction.atomic():
            contract_transition(contract=contract_lock(signed.pk), to="signed", actor=Actor(type="customer"))
        contract_void(contract=voided, actor=Actor(type="owner", user=toronto.owner))
    sweep(local(4, 10))
    assert not reminders().exists() and not reminders("+14165550888").exists()


def test_a_resend_starts_the_schedule_again(toronto, sent_at, sweep, send):
    contract = sent_at(toronto)
    sweep(local(4, 10))
    with time_machine.travel(local(5, 15), tick=False):
        send(toronto, contract)
    sweep(local(6, 10))  # two days after the first send, one after the resend
    assert reminders().count() == 1
    sweep(local(7, 9))  # two local days after the resend
    assert reminders().count() == 2


def test_contracts_expire_at_their_deadline_once(toronto, sent_at, sweep):
    contract = sent_at(toronto)
    with tenant_context(toronto.tenant):
        token = texted_link(PHONE)
        deadline = Contract.objects.get(pk=contract.pk).link_expires_at
    sweep(deadline - dt.timedelta(seconds=1))
    with tenant_context(toronto.tenant):
        assert Contract.objects.get(pk=contract.pk).status == "sent"
    sweep(deadline)
    sweep(deadline)
    with tenant_context(toronto.tenant):
        contract.refresh_from_db()
        assert contract.status == "expired"
        assert ContractEvent.objects.filter(contract=contract, kind="expired").count() == 1
        with time_machine.travel(deadline, tick=False), pytest.raises(ContractLinkExpired):
            contract_by_link(token)  # the customer's link says how to get a new one (410), not 404


def test_an_expired_contract_gets_no_reminder(toronto, sent_at, sweep):
    with tenant_context(toronto.tenant):
        settings = PortalSettings.load()
        settings.link_ttl_days = 1
        settings.save()
    sent_at(toronto)
    sweep(local(4, 10))
    assert not reminders().exists()


def test_beat_fans_out_to_every_active_tenant(toronto, beta, sent_at, sweep):
    sent_at(toronto)
    sent_at(beta, customer_phone="+14165550999")
    assert sweep(local(4, 10)) == Tenant.objects.filter(status="active").exclude(schema_name="public").count()
    assert reminders().count() == 1 and reminders("+14165550999").count() == 1


def test_fan_out_skips_tenants_that_are_not_active(alpha, beta):
    beta.tenant.status = Tenant.Status.SUSPENDED
    beta.tenant.save()
    seen = []

    class Recorder:
        def apply_async(self, kwargs, **options):
            from django.db import connection

            seen.append((connection.schema_name, kwargs))

    assert for_each_tenant(Recorder(), day=1) == len(seen)
    assert (alpha.tenant.schema_name, {"day": 1}) in seen
    assert beta.tenant.schema_name not in [schema for schema, _ in seen]
