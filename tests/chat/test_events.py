"""Domain events: emitted once by each service in the change's own transaction, relayed exactly once to
the tenant's Redis Stream, read with a cursor that never repeats nor skips an event."""

import uuid
from datetime import date
from unittest import mock

import pytest
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_celery_beat.schedulers import ModelEntry
from django_tenants.utils import tenant_context

from chat import tasks
from chat.models import Conversation, DomainEvent
from chat.selectors_events import MAX_LIMIT, events_read
from chat.services.conversations import conversation_handover
from chat.services.events import event_emit, events_redis, events_relay, stream_key
from contracts.models import Contract
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from contracts.services.tracking import (
    contract_milestone_advance,
    contract_milestone_correct,
    contract_milestone_move,
)
from inkwell.celery import app as celery_app
from inkwell.errors import DomainError, ServiceUnavailable
from marketing import connectors
from marketing.connectors.base import ConnectorError, ConnectorTemporaryError, SearchRow
from marketing.models import IngestionRun
from marketing.services.ingestion import ingestion_run_create
from marketing.services.leads import lead_create
from marketing.services.spreadsheet import leads_import
from tests.contracts.conftest import CONTRACT_DATA
from tests.contracts.sealing_helpers import sign

OWNER_API = Actor(type="api", label="api-key:CRM")
LEAD = {"name": "Lea Lead", "phone": "+14165550199", "source": "api"}


@pytest.fixture
def streams(alpha, beta):
    """Alpha's and beta's streams emptied (Redis outlives the test's rolled-back transaction)."""
    client = events_redis()
    client.delete(stream_key(alpha.tenant.schema_name), stream_key(beta.tenant.schema_name))
    return client


def emit(type_="lead.created", **data) -> DomainEvent:
    """An event emitted in a transaction of its own, as services do: its relay waits for a commit that
    the test's own transaction never makes, so the test relays when it chooses."""
    with transaction.atomic():
        return event_emit(type=type_, data=data)


def events_of(type_=None):
    events = DomainEvent.objects.order_by("pk")
    return list(events.filter(type=type_) if type_ else events)


def read_all(cursor=None, limit=MAX_LIMIT):
    """Every event after `cursor`, page by page; and the last cursor."""
    seen = []
    while True:
        page, cursor = events_read(cursor=cursor, limit=limit)
        if not page:
            return seen, cursor
        seen += page


# --- each service emits its event once, in its own transaction -----------------------------------------


def test_a_new_lead_emits_lead_created_and_a_merged_duplicate_does_not(alpha):
    with tenant_context(alpha.tenant):
        lead, created = lead_create(data=LEAD, actor=OWNER_API)
        again, merged_new = lead_create(data={**LEAD, "name": "Lea again"}, actor=OWNER_API)
        assert created and not merged_new and again.pk == lead.pk
        [event] = events_of()
        assert event.type == "lead.created"
        assert event.data == {"lead": lead.pk, "source": "api", "service_type": ""}
        assert event.actor_label == "api-key:CRM"
        assert "Lea" not in str(event.data) and "+1416" not in str(event.data)  # ids, not the person


def test_a_rolled_back_write_leaves_no_event_and_queues_no_relay(alpha, django_capture_on_commit_callbacks):
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            lead_create(data=LEAD, actor=OWNER_API)
            raise RuntimeError("the request failed after the lead")
        assert events_of() == []
        assert callbacks == []  # nothing is relayed (nor is the owner told) for a write that never was


def test_a_signing_or_handover_rolled_back_leaves_no_event(alpha):
    contract = sent_contract(alpha)
    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
        with pytest.raises(RuntimeError), transaction.atomic():
            sign(alpha, contract, image=b"")
            conversation_handover(conversation=conversation, reason="Asked about a discount")
            assert {e.type for e in events_of()} == {"contract.signed", "chat.handover"}
            raise RuntimeError("the request failed after both")
        assert events_of() == []
        assert Contract.objects.get(pk=contract.pk).status == Contract.Status.SENT


def test_an_import_of_many_leads_queues_one_relay(alpha, django_capture_on_commit_callbacks):
    rows = "name,phone\n" + "".join(f"Lead {i},+1416555{i:04d}\n" for i in range(3))
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks() as callbacks:
        created, _merged = leads_import(text=rows, actor=OWNER_API)
        assert created == 3 and len(events_of("lead.created")) == 3
    relays = [cb for cb in callbacks if cb.args[:1] == (tasks.events_relay,)]
    assert len(relays) == 1


def sent_contract(world) -> Contract:
    """A contract of `world` made and sent by its owner (what is queued on commit is not run)."""
    owner = Actor(type="owner", user=world.owner)
    with tenant_context(world.tenant):
        return contract_send(contract=contract_create(data=CONTRACT_DATA, actor=owner), actor=owner)


def test_signing_emits_contract_signed_once_and_no_milestone(alpha):
    contract = sent_contract(alpha)
    sign(alpha, contract, image=b"")
    with tenant_context(alpha.tenant):
        # signing again is refused, and adds nothing
        with pytest.raises(DomainError):
            sign(alpha, contract, image=b"")
        [event] = events_of()
        assert event.type == "contract.signed"
        assert event.data == {
            "contract": contract.pk,
            "reference": contract.reference,
            "service_type": "roro",
        }
        assert event.actor_label == "Ada Client"  # the signing actor's label, as the audit trail has it


def test_each_milestone_move_emits_contract_milestone(alpha):
    contract = sign(alpha, sent_contract(alpha), image=b"")
    owner = Actor(type="owner", user=alpha.owner)
    with tenant_context(alpha.tenant):
        contract_milestone_advance(contract=contract, step_key_or_index="documents", actor=owner)
        contract_milestone_move(contract=contract, actor=owner, step="pickup")
        contract_milestone_correct(
            contract=contract, step="documents", reason="Marked by mistake", actor=owner
        )
        with pytest.raises(DomainError):  # an illegal move: no event
            contract_milestone_advance(contract=contract, step_key_or_index="delivered", actor=owner)
        moves = [(e.data["key"], e.data["corrected"], e.actor_label) for e in events_of("contract.milestone")]
        assert moves == [
            ("documents", False, alpha.owner.email),
            ("pickup", False, alpha.owner.email),
            ("documents", True, alpha.owner.email),
        ]
        assert {e.data["contract"] for e in events_of("contract.milestone")} == {contract.pk}


def test_a_handover_emits_chat_handover_once(alpha):
    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
        assert conversation_handover(conversation=conversation, reason="Asked about a discount")
        assert not conversation_handover(conversation=conversation, reason="Asked again")  # still waiting
        [event] = events_of()
        assert (event.type, event.data) == ("chat.handover", {"conversation": conversation.pk, "lead": None})


class Scripted:
    calls: list = []

    def __init__(self):
        self.name = "gsc"

    def fetch(self, tenant, start, end):
        step = Scripted.calls.pop(0)
        if isinstance(step, Exception):
            raise step
        return iter(step)


@pytest.fixture
def scripted(monkeypatch):
    monkeypatch.setitem(connectors.CONNECTORS, "gsc", Scripted)
    Scripted.calls = []
    return Scripted.calls


DAY = date(2026, 11, 20)


def test_an_ingestion_run_emits_ingestion_finished_when_it_ends_only(alpha, scripted):
    from marketing.tasks import ingestion_run

    row = SearchRow(DAY, "car shipping", "https://alpha.example/", "MOBILE", "can", 3, 100, 4.0, True)
    scripted += [ConnectorTemporaryError("429 Too Many Requests"), [row], ConnectorError("403 Forbidden")]
    with tenant_context(alpha.tenant):
        good = ingestion_run_create(connector="gsc", start=DAY, end=DAY, trigger="manual")
        ingestion_run.apply(kwargs={"run_id": good.pk}, throw=False)  # a retry, then success
        bad = ingestion_run_create(connector="gsc", start=DAY, end=DAY, trigger="manual")
        ingestion_run.apply(kwargs={"run_id": bad.pk}, throw=False)
        assert IngestionRun.objects.get(pk=good.pk).status == "succeeded"
        finished = [
            (e.data["run"], e.data["status"], e.data["rows"]) for e in events_of("ingestion.finished")
        ]
        assert finished == [(good.pk, "succeeded", 1), (bad.pk, "failed", 0)]
        assert "Forbidden" not in str(events_of()[-1].data)  # the provider's words stay on the run


def test_an_event_outside_a_transaction_is_kept_when_the_broker_is_down(alpha, monkeypatch):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.events_relay, "apply_async", broker_down)
    with tenant_context(alpha.tenant):
        event = event_emit(type="lead.created", data={"lead": 1})  # no 503 for a change already made
        assert DomainEvent.objects.get(pk=event.pk).relayed_at is None  # the beat's relay takes it


def test_an_unknown_type_is_a_bug(alpha):
    with tenant_context(alpha.tenant), pytest.raises(ValueError):
        event_emit(type="lead.deleted", data={})


# --- the relay: exactly once --------------------------------------------------------------------------


def test_relaying_twice_appends_once(alpha, streams):
    with tenant_context(alpha.tenant):
        event = emit("lead.created", lead=1)
        assert events_relay() == 1
        assert events_relay() == 0
        event.refresh_from_db()
        assert event.relayed_at is not None
        [(stream_id, _fields)] = streams.xrange(stream_key())
        assert event.stream_id == stream_id


def test_a_crash_between_appending_and_stamping_still_appends_once(alpha, streams):
    real_update = QuerySet.update
    calls = []

    def update_fails_once(self, **fields):
        calls.append(fields)
        if len(calls) == 1:
            raise DatabaseError("server closed the connection unexpectedly")
        return real_update(self, **fields)

    with tenant_context(alpha.tenant):
        first = emit("lead.created", lead=1)
        second = emit("lead.created", lead=2)
        with mock.patch.object(QuerySet, "update", update_fails_once), pytest.raises(DatabaseError):
            events_relay()
        assert streams.xlen(stream_key()) == 1  # the first was appended, its stamp was lost
        assert DomainEvent.objects.filter(relayed_at__isnull=True).count() == 2
        assert events_relay() == 2
        events, _ = read_all()
        assert [e["id"] for e in events] == [first.pk, second.pk]
        first.refresh_from_db()
        assert first.stream_id == events[0]["cursor"]  # stamped with the id of its one append


def test_a_marker_left_by_an_earlier_database_does_not_swallow_a_new_event(alpha, streams):
    # A test database made again (or a schema made again under its name) restarts its ids at 1.
    with tenant_context(alpha.tenant):
        event = emit("lead.created", lead=1)
        streams.set(f"{stream_key()}:relayed:{event.pk}", "1-1", ex=60)
        streams.set(f"{stream_key()}:relayed:{event.pk}:1", "1-1", ex=60)
        assert events_relay() == 1
        assert [e["id"] for e in read_all()[0]] == [event.pk]


def test_the_relay_takes_every_waiting_event_in_batches(alpha, streams):
    with tenant_context(alpha.tenant):
        ids = [emit("lead.created", lead=n).pk for n in range(5)]
        assert events_relay(limit=2) == 5
        assert [e["id"] for e in read_all()[0]] == ids


def test_relayed_notifiable_events_tell_telegram_once(alpha, streams, django_capture_on_commit_callbacks):
    with tenant_context(alpha.tenant):
        lead = emit("lead.created", lead=1)
        emit("ingestion.finished", run=1)
        with mock.patch("chat.telegram.notify.event_notify", return_value=1) as notify:
            with django_capture_on_commit_callbacks(execute=True):
                events_relay()
            with django_capture_on_commit_callbacks(execute=True):
                events_relay()
        notify.assert_called_once_with(event_id=lead.pk)


def test_the_beat_relays_every_tenants_waiting_events(
    alpha, beta, streams, django_capture_on_commit_callbacks
):
    # Events committed while the queue was down: their own relay was never queued.
    for world in (alpha, beta):
        with tenant_context(world.tenant):
            emit("chat.handover", conversation=world.tenant.pk)
    entry = ModelEntry.from_entry(
        "events-relay", app=celery_app, **settings.CELERY_BEAT_SCHEDULE["events-relay"]
    )
    assert entry.task == tasks.events_relay_all.name and entry.schedule.run_every.total_seconds() == 60
    assert entry.options["expires"] == 55  # a minute's fan-out that waited longer is dropped
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.events_relay_all.apply().get() >= 1  # batches of a hundred tenants: both in one
    for world in (alpha, beta):
        with tenant_context(world.tenant):
            [event] = read_all()[0]
            assert event["data"] == {"conversation": world.tenant.pk}


def test_a_signed_contract_appears_on_the_stream_once(alpha, streams, django_capture_on_commit_callbacks):
    contract = sent_contract(alpha)
    with django_capture_on_commit_callbacks() as callbacks:
        sign(alpha, contract, image=b"")
    for relay in [cb for cb in callbacks if cb.args[:1] == (tasks.events_relay,)]:
        relay()  # what the signing's commit queued
    tasks.events_relay_all.apply()  # and the beat a minute later
    with tenant_context(alpha.tenant):
        events, _ = read_all()
        assert [(e["type"], e["data"]["contract"]) for e in events] == [("contract.signed", contract.pk)]


# --- reading with a cursor --------------------------------------------------------------------------


def test_cursor_reads_never_repeat_nor_skip_an_event(alpha, streams):
    with tenant_context(alpha.tenant):
        ids = [emit("lead.created", lead=n).pk for n in range(5)]
        events_relay()
        first, cursor = events_read(cursor=None, limit=2)
        rest, cursor = read_all(cursor, limit=2)
        assert [e["id"] for e in first + rest] == ids
        assert events_read(cursor=cursor, limit=2) == ([], cursor)  # nothing new: the same cursor back
        event = first[0]
        assert set(event) == {"cursor", "id", "type", "data", "actor", "created"}


def test_an_event_committed_late_with_a_lower_id_is_still_read_once(alpha, streams):
    with tenant_context(alpha.tenant):
        # A transaction takes an id, then commits after a later one was relayed and read.
        slow = emit("lead.created", lead="slow")
        DomainEvent.objects.filter(pk=slow.pk).delete()
        fast = emit("lead.created", lead="fast")
        events_relay()
        seen, cursor = read_all()
        assert [e["id"] for e in seen] == [fast.pk]
        DomainEvent.objects.create(pk=slow.pk, type="lead.created", data={"lead": "slow"})  # the late commit
        events_relay()
        late, cursor = read_all(cursor)
        assert [e["id"] for e in late] == [slow.pk]
        assert read_all(cursor)[0] == []


@pytest.mark.parametrize(
    "cursor",
    ["abc", "1-2-3", "-1", "1", "99999999999999999999-0", "18446744073709551615-18446744073709551615"],
)
def test_a_malformed_cursor_is_refused(alpha, streams, cursor):
    with tenant_context(alpha.tenant), pytest.raises(DomainError) as refused:
        events_read(cursor=cursor)
    assert refused.value.code == "invalid_cursor"


def test_a_cursor_ahead_of_the_stream_is_refused(alpha, streams):
    with tenant_context(alpha.tenant):
        emit("lead.created", lead=1)
        events_relay()
        [(newest, _)] = streams.xrange(stream_key())
        millis, seq = map(int, newest.split("-"))
        assert events_read(cursor=newest) == ([], newest)  # the newest itself is fine
        with pytest.raises(DomainError) as refused:
            events_read(cursor=f"{millis}-{seq + 1}")
        assert refused.value.code == "invalid_cursor"


def test_limits_at_the_edges(alpha, streams):
    with tenant_context(alpha.tenant):
        for limit in (1, MAX_LIMIT):
            assert events_read(cursor=None, limit=limit) == ([], None)
        for limit in (0, MAX_LIMIT + 1):
            with pytest.raises(DomainError) as refused:
                events_read(cursor=None, limit=limit)
            assert refused.value.code == "invalid_limit"


def test_a_tenants_stream_holds_its_own_events_only(alpha, beta, streams):
    with tenant_context(alpha.tenant):
        mine = emit("lead.created", lead=1)
        events_relay()
    with tenant_context(beta.tenant):
        theirs = emit("lead.created", lead=2)
        events_relay()
        assert [e["id"] for e in read_all()[0]] == [theirs.pk]
    with tenant_context(alpha.tenant):
        assert [e["id"] for e in read_all()[0]] == [mine.pk]


# --- Redis down -------------------------------------------------------------------------------------


@pytest.fixture
def dead_redis(settings, tmp_path):
    settings.EVENTS_REDIS_URL = f"unix://{tmp_path}/no-redis.sock"


def test_with_redis_unreachable_reading_is_unavailable_and_relaying_waits(alpha, dead_redis):
    with tenant_context(alpha.tenant):
        event = emit("lead.created", lead=1)
        assert events_relay() == 0
        event.refresh_from_db()
        assert event.relayed_at is None
        with pytest.raises(ServiceUnavailable) as unavailable:
            events_read(cursor=None)
        assert unavailable.value.code == "events_unavailable"


def test_a_dead_redis_is_tried_twice_at_most_not_ten_times_with_back_off(alpha, dead_redis):
    from redis.connection import UnixDomainSocketConnection

    with (
        mock.patch.object(
            UnixDomainSocketConnection,
            "_connect",
            side_effect=ConnectionRefusedError(111, "Connection refused"),
        ) as connect,
        tenant_context(alpha.tenant),
        pytest.raises(ServiceUnavailable),
    ):
        events_read(cursor=None)
    assert connect.call_count <= 2


@pytest.fixture
def second_redis(settings):
    """A Redis of this test's own (the one the suite shares stays up), which the test stops and starts."""
    from inkwell import embedded

    profile = f"events-test-{settings.XDIST_WORKER or 'main'}"
    process = embedded.start_redis(profile, reuse=True)
    settings.EVENTS_REDIS_URL = embedded.redis_url(profile)
    events_redis().flushdb()  # its data file may hold an earlier run's stream
    state = {"process": process}

    def stop():
        if state["process"] is not None:
            embedded.stop_process(state["process"])
        else:  # left running by an earlier run: ask it to go
            events_redis().shutdown(nosave=False)
        state["process"] = None

    def start():
        state["process"] = embedded.start_redis(profile)

    yield stop, start
    if state["process"] is not None:
        events_redis().shutdown(nosave=True)  # no data file to write: the next run starts empty anyway
        embedded.stop_process(state["process"])


def test_with_redis_stopped_during_the_commit_the_signed_contract_arrives_once_it_is_back(
    alpha, second_redis, django_capture_on_commit_callbacks
):
    stop, start = second_redis
    contract = sent_contract(alpha)
    stop()
    with django_capture_on_commit_callbacks() as callbacks:
        sign(alpha, contract, image=b"")
    relays = [cb for cb in callbacks if cb.args[:1] == (tasks.events_relay,)]
    assert len(relays) == 1
    relays[0]()  # the relay queued by the commit runs while Redis is down
    with tenant_context(alpha.tenant):
        assert Contract.objects.get(pk=contract.pk).status == Contract.Status.SIGNED  # committed all the same
        [waiting] = events_of("contract.signed")
        assert waiting.relayed_at is None and waiting.stream_id == ""
    start()
    with tenant_context(alpha.tenant):
        assert events_relay() == 1
        events, cursor = read_all()
        assert [(e["type"], e["data"]["contract"]) for e in events] == [("contract.signed", contract.pk)]
        assert events_relay() == 0  # the periodic relay after it adds nothing
        assert read_all(cursor)[0] == []
