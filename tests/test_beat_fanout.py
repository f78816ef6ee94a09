"""Every periodic job in CELERY_BEAT_SCHEDULE, checked from the schedule itself: its task exists and
is routed; per-tenant work fans out one task per active tenant onto the tenant queue; and beat firing
twice at the same moment leaves what firing once left (no second reminder, text, run or event).

A new schedule entry fails `test_every_beat_entry_is_verified` until it is added to FANOUT or
PUBLIC_JOBS below and given a SCENARIO that makes it do real work."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django_tenants.utils import tenant_context

from inkwell import sqlcheck
from inkwell.celery import app

T0 = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 04:30 in Toronto, the tenants' zone: ingestion hour
LONG_AGO = T0 - timedelta(days=30)

# entry → the task its dispatcher queues once in every active tenant's schema
FANOUT = {
    "contracts-sweep": "contracts.tasks.contracts_sweep",
    "marketing-ingestion": "marketing.tasks.ingestion_schedule",
    "questionnaire-send": "chat.tasks.questionnaire_send",
    "approvals-expire": "chat.tasks.approvals_expire",
    "tasks-teardown": "chat.tasks.tasks_teardown",
    "agents-evaluate": "chat.tasks.agents_evaluate",
    "events-relay": "chat.tasks.events_relay",
    "bus-relay": "chat.tasks.bus_relay",
}
# the every-minute sweeps: queued as tenants.tasks.in_each_tenant, a hundred tenants per task
BATCHED = {"agents-evaluate", "events-relay", "bus-relay"}
# entry → why it is one task on the default queue: its work is public-schema rows, bounded by
# something other than the number of tenants
PUBLIC_JOBS = {
    "spare-schemas-top-up": "the spare pool (SPARE_SCHEMAS schemas), under one pool lock",
    "signin-tokens-purge": "one DELETE of expired sign-in tokens",
    "sessions-clear": "one DELETE of expired sessions",
    "emails-requeue-stale": "queues a delivery task per stale email (at most 500 a run)",
    "billing-grace-sweep": "subscriptions past due beyond the grace period: a handful a day",
    "billing-events-requeue": "queues a task per stale Stripe event (at most 500 a run)",
    "billing-signups-purge": "one DELETE of abandoned signups",
    "telegram-purge": "one DELETE of old update ids and link codes",
}


@pytest.fixture(autouse=True, scope="module")
def _tasks_loaded():
    """The task modules a worker imports at start (autodiscovery), so app.tasks is what a worker has."""
    app.loader.import_default_modules()


def _schedule():
    return sorted(settings.CELERY_BEAT_SCHEDULE.items())


@pytest.mark.parametrize(("entry", "spec"), _schedule())
def test_every_beat_entry_is_verified_and_its_task_exists_and_is_routed(entry, spec):
    assert (entry in FANOUT) != (entry in PUBLIC_JOBS), f"{entry}: list it in FANOUT or PUBLIC_JOBS"
    assert entry in SCENARIOS, f"{entry}: give it a scenario in which it has work to do"
    assert spec["task"] in app.tasks, f"{entry}: no task named {spec['task']}"
    # the dispatcher itself is light: the default queue
    assert app.amqp.router.route({}, spec["task"])["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
    if entry in FANOUT:
        assert FANOUT[entry] in app.tasks
        assert app.tasks[FANOUT[entry]].acks_late  # a worker lost mid-task leaves it for another


def test_work_queued_by_a_fan_out_is_routed_to_the_tenant_queue():
    for name in settings.CELERY_TENANT_QUEUE_TASKS:
        assert app.amqp.router.route({}, name)["queue"].name == settings.CELERY_TENANT_QUEUE
    # a worker started without -Q takes both queues (make run, the benches)
    assert {q.name for q in app.amqp.queues.values()} >= {
        settings.CELERY_TASK_DEFAULT_QUEUE,
        settings.CELERY_TENANT_QUEUE,
    }


# --- scenarios: each makes its job's work exist and says when beat fires -----------------------------


def _contract_due_a_reminder(alpha, beta):
    from contracts.services.contracts import contract_create, contract_send
    from contracts.services.events import Actor
    from tests.contracts.conftest import CONTRACT_DATA

    with time_machine.travel(T0 - timedelta(days=3), tick=False), tenant_context(alpha.tenant):
        actor = Actor(type="owner", user=alpha.owner)
        contract_send(contract=contract_create(data=CONTRACT_DATA, actor=actor), actor=actor)
    return T0 + timedelta(hours=6)  # 10:30 in Toronto, daytime


def _ingestion_hour(alpha, beta):
    return T0  # no connector set up: both tenants fetch demo data at their local ingestion hour


def _question_due(alpha, beta):
    from chat.services.questionnaire import questionnaire_settings_update

    with tenant_context(alpha.tenant):
        questionnaire_settings_update(data={"send_hour": 4})
    return T0


def _agent_proposal_past_its_time(alpha, beta):
    from chat.services.approvals import page_publish_propose
    from contracts.services.events import Actor
    from marketing.services.pages import page_create
    from tenants.services.agent_tokens import AgentIdentity, agent_token_create

    token = agent_token_create(
        tenant=alpha.tenant, name="SEO agent", scopes=["write_content"], actor=alpha.owner
    )
    agent = AgentIdentity.of(token.token)
    with time_machine.travel(LONG_AGO, tick=False), tenant_context(alpha.tenant):
        page = page_create(
            data={"slug": "winter", "title": "Winter", "body": "Moves."},
            actor=Actor(type="api", label=agent.label),
        )
        page_publish_propose(page=page, agent=agent)
    return T0


def _claim_of_a_dead_agent(alpha, beta):
    from chat.models import Agent
    from chat.services.tasks import task_create, task_transition

    with tenant_context(beta.tenant):
        agent = Agent.objects.create(name="Gone agent", last_heartbeat_at=T0)
        task = task_create(title="Audit the site", actor_label="owner")
        task_transition(task_id=task.pk, to="claimed", agent=agent, actor_label="owner")
        Agent.objects.filter(pk=agent.pk).update(state=Agent.State.DEAD)
    return T0


def _silent_busy_agent(alpha, beta):
    from chat.models import Agent
    from tenants.models import TelegramLink

    TelegramLink.objects.create(chat_id=7001, tenant=alpha.tenant, user=alpha.owner)
    with tenant_context(alpha.tenant):
        Agent.objects.create(
            name="Busy agent", state=Agent.State.BUSY, last_heartbeat_at=T0 - timedelta(minutes=30)
        )
    return T0


def _event_waiting_for_the_stream(alpha, beta):
    from chat.models import DomainEvent

    with tenant_context(alpha.tenant):  # an event whose own relay task was lost (broker down)
        DomainEvent.objects.create(type="lead.created", data={"lead": 1})
    return T0


def _bus_message_waiting(alpha, beta):
    from chat.models import Agent
    from chat.services.bus import bus_send

    with tenant_context(beta.tenant):
        to = Agent.objects.create(name="Content agent")
        bus_send(sender=None, sender_label="owner", to=to, text="Prices are up.")
    return T0


def _abandoned_spare(alpha, beta):
    from tenants.models import Tenant

    Tenant.objects.create(schema_name="spare_abandoned", status="provisioning", reserved_at=LONG_AGO)
    return T0


def _expired_sign_in_token(alpha, beta):
    from tenants.models import SignInToken

    SignInToken.objects.create(tenant=alpha.tenant, kind="link", digest="x" * 64, expires_at=LONG_AGO)
    return T0


def _expired_session(alpha, beta):
    Session.objects.create(session_key="expired-session-key", session_data="", expire_date=LONG_AGO)
    return T0


def _email_left_queued(alpha, beta):
    from tenants.models import OutboundMessage

    message = OutboundMessage.objects.create(
        channel="email", tenant=alpha.tenant, to="owner@alpha.example", subject="Hello", body="Hi.",
        backend="outbox", status="queued",
    )  # fmt: skip
    OutboundMessage.objects.filter(pk=message.pk).update(created=LONG_AGO)
    return T0


def _past_due_beyond_grace(alpha, beta):
    from billing.models import Subscription

    Subscription.objects.create(
        stripe_id="sub_grace",
        tenant=beta.tenant,
        plan=beta.tenant.plan,
        status="past_due",
        past_due_since=LONG_AGO,
    )
    return T0


def _stripe_event_never_processed(alpha, beta):
    from billing.models import WebhookEvent

    event = WebhookEvent.objects.create(
        event_id="evt_stale", type="customer.created", payload={"id": "evt_stale"}
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=LONG_AGO)
    return T0


def _abandoned_signup(alpha, beta):
    from billing.models import Signup

    signup = Signup.objects.create(
        business_name="Gamma", subdomain="gamma", email="g@gamma.example", plan="seo"
    )
    Signup.objects.filter(pk=signup.pk).update(created=LONG_AGO)
    return T0


def _old_telegram_update(alpha, beta):
    from tenants.models import TelegramUpdate

    update = TelegramUpdate.objects.create(update_id=424242)
    TelegramUpdate.objects.filter(pk=update.pk).update(received=LONG_AGO)
    return T0


SCENARIOS = {
    "contracts-sweep": _contract_due_a_reminder,
    "marketing-ingestion": _ingestion_hour,
    "questionnaire-send": _question_due,
    "approvals-expire": _agent_proposal_past_its_time,
    "tasks-teardown": _claim_of_a_dead_agent,
    "agents-evaluate": _silent_busy_agent,
    "events-relay": _event_waiting_for_the_stream,
    "bus-relay": _bus_message_waiting,
    "spare-schemas-top-up": _abandoned_spare,
    "signin-tokens-purge": _expired_sign_in_token,
    "sessions-clear": _expired_session,
    "emails-requeue-stale": _email_left_queued,
    "billing-grace-sweep": _past_due_beyond_grace,
    "billing-events-requeue": _stripe_event_never_processed,
    "billing-signups-purge": _abandoned_signup,
    "telegram-purge": _old_telegram_update,
}


def _state(worlds) -> dict:
    """Rows in every table of both tenants' schemas and of public, and entries in their streams."""
    from chat.services.events import events_redis

    tenant_tables, public_tables, _ = sqlcheck._tables()
    parts = [(w.tenant.schema_name, t) for w in worlds.values() for t in sorted(tenant_tables)]
    parts += [("public", t) for t in sorted(public_tables)]
    # Each table's rows and a digest of their content: a status changed or a counter bumped twice shows.
    sql = " UNION ALL ".join(
        f"SELECT '{s}.{t}', count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "  # noqa: S608
        f'FROM "{s}"."{t}" r'
        for s, t in parts
    )
    # A test's own bookkeeping, reading every schema at once (never application code).
    with sqlcheck.allowed("the test's snapshot of every schema"), connection.cursor() as cursor:
        cursor.execute(sql)
        state = {name: (rows, digest) for name, rows, digest in cursor.fetchall()}
    client = events_redis()
    for world in worlds.values():
        for key in client.scan_iter(f"{settings.EVENTS_KEY_PREFIX}:*{world.tenant.schema_name}*"):
            if client.type(key) == b"stream":
                state[key.decode()] = client.xlen(key)
    return state


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_beat_firing_twice_at_the_same_moment_does_the_work_once(
    entry, worlds, monkeypatch, django_capture_on_commit_callbacks
):
    alpha, beta = worlds["alpha"], worlds["beta"]
    when = SCENARIOS[entry](alpha, beta)
    queued = []
    if entry in BATCHED:
        batch = app.tasks["tenants.tasks.in_each_tenant"]
        send_batch = batch.apply_async

        def recording_batch(*args, **options):
            assert options["kwargs"]["task_name"] == FANOUT[entry]
            queued.extend((name, options.get("queue")) for name in options["kwargs"]["schema_names"])
            return send_batch(*args, **options)

        monkeypatch.setattr(batch, "apply_async", recording_batch)
    elif entry in FANOUT:
        per_tenant = app.tasks[FANOUT[entry]]
        send = per_tenant.apply_async

        def recording(*args, **options):
            queued.append((connection.schema_name, options.get("queue")))
            return send(*args, **options)

        monkeypatch.setattr(per_tenant, "apply_async", recording)

    def fire():
        connection.set_schema_to_public()  # where beat's dispatcher runs
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            app.tasks[settings.CELERY_BEAT_SCHEDULE[entry]["task"]].apply().get()
        connection.set_schema_to_public()
        return _state(worlds)

    before = _state(worlds)
    once = fire()
    assert once != before, f"{entry}: the scenario gave it nothing to do"
    twice = fire()
    assert {k: (once.get(k), v) for k, v in twice.items() if once.get(k) != v} == {}
    if entry in FANOUT:
        # each active tenant once a firing (its own task, or its place in a batch), on the tenant queue
        schemas = sorted(w.tenant.schema_name for w in worlds.values())
        assert sorted(queued) == sorted([(s, settings.CELERY_TENANT_QUEUE) for s in schemas] * 2)


def test_a_batched_sweep_covers_every_active_tenant_once_and_one_failure_spares_the_rest(
    worlds, monkeypatch, django_capture_on_commit_callbacks
):
    """The every-minute sweeps go `size` tenants to a task: 2 tenants at size 2 make one task, at
    size 1 two; a tenant whose sweep fails is logged and the next tenant in the batch is still swept;
    a tenant no longer active is skipped."""
    from inkwell.fanout import for_each_tenant_batched
    from tenants.tasks import in_each_tenant

    per_tenant = app.tasks["chat.tasks.events_relay"]
    seen = []

    def sweep():
        seen.append(connection.schema_name)
        if connection.schema_name == "t_alpha":
            raise RuntimeError("Redis is down")
        return 0

    monkeypatch.setattr(per_tenant, "run", sweep)
    batches = []
    send = in_each_tenant.apply_async

    def recording(*args, **options):
        batches.append(options["kwargs"]["schema_names"])
        return send(*args, **options)

    monkeypatch.setattr(in_each_tenant, "apply_async", recording)
    connection.set_schema_to_public()
    assert for_each_tenant_batched(per_tenant, size=2) == 1
    assert batches == [["t_alpha", "t_beta"]] and seen == ["t_alpha", "t_beta"]
    assert for_each_tenant_batched(per_tenant, size=1) == 2
    assert batches[1:] == [["t_alpha"], ["t_beta"]]

    assert in_each_tenant.run(task_name=per_tenant.name, schema_names=["t_alpha", "t_beta"]) == 1
    worlds["beta"].tenant.__class__.objects.filter(schema_name="t_beta").update(status="suspended")
    seen.clear()
    assert in_each_tenant.run(task_name=per_tenant.name, schema_names=["t_alpha", "t_beta"]) == 0
    assert seen == ["t_alpha"]
