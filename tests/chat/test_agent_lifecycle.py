"""The agent registry's lifecycle: the transition table and its log, agents made and killed with their
tokens, heartbeats from MCP calls, stuck detection (once, one notification, never with a fresh
heartbeat), idling by warm policy, dead by silence, and the owner's Agents table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from chat import tasks
from chat.models import Agent, AgentTransition
from chat.services.agents import agent_heartbeat, agent_transition, agents_evaluate
from inkwell.errors import Conflict, DomainError
from tenants.models import OutboundMessage, TelegramLink
from tenants.services.agent_tokens import agent_token_revoke
from tests.chat.test_mcp import app, calls, error_code, in_schema, token_for  # noqa: F401  (app: fixture)
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
S = Agent.State
# The lifecycle as the issue describes it, written out independently of the service's table.
ALLOWED = {
    ("idle", "warm"), ("idle", "busy"), ("idle", "parked"), ("idle", "dead"),
    ("warm", "busy"), ("warm", "idle"), ("warm", "parked"), ("warm", "dead"),
    ("busy", "warm"), ("busy", "parked"), ("busy", "dead"),
    ("parked", "warm"), ("parked", "dead"),
    ("dead", "warm"), ("dead", "idle"),
}  # fmt: skip


def make_agent(world, name="SEO agent", **fields) -> Agent:
    token_for(world, name=name)
    in_schema(world)
    agent = Agent.objects.get(name=name)
    if fields:
        Agent.objects.filter(pk=agent.pk).update(**fields)
        agent.refresh_from_db()
    return agent


class TelegramOutbox:
    """The Telegram messages the test settings' outbox backend stored, as {chat_id, text}."""

    def _sent(self):
        rows = OutboundMessage.objects.filter(channel=OutboundMessage.Channel.TELEGRAM).order_by("pk")
        return [{"chat_id": int(m.to), "text": m.body} for m in rows]

    def __len__(self):
        return len(self._sent())

    def __getitem__(self, index):
        return self._sent()[index]

    def __eq__(self, other):
        return self._sent() == other

    __hash__ = None


@pytest.fixture
def telegram(alpha):
    """Alpha's owner has linked a chat; what it is sent."""
    TelegramLink.objects.create(chat_id=7001, tenant=alpha.tenant, user=alpha.owner)
    return TelegramOutbox()


# --- the state machine ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to"), list(product(S.values, S.values)))
def test_every_allowed_transition_works_and_every_other_raises(alpha, start, to):
    agent = make_agent(alpha, state=start)
    logged = AgentTransition.objects.count()
    if (start, to) in ALLOWED:
        moved = agent_transition(agent_id=agent.pk, to=to, reason="test move", actor_label="tester")
        assert moved.state == to and Agent.objects.get(pk=agent.pk).state == to
        entry = AgentTransition.objects.filter(agent=agent).first()
        assert (entry.from_state, entry.to_state, entry.reason, entry.actor_label) == (
            start, to, "test move", "tester"
        )  # fmt: skip
        assert AgentTransition.objects.count() == logged + 1
    else:
        with pytest.raises(Conflict) as raised:
            agent_transition(agent_id=agent.pk, to=to, reason="test move", actor_label="tester")
        assert raised.value.code == "illegal_agent_transition" and raised.value.status_code == 409
        assert Agent.objects.get(pk=agent.pk).state == start
        assert AgentTransition.objects.count() == logged


def test_the_log_is_append_only(alpha):
    agent = make_agent(alpha)
    entry = AgentTransition.objects.create(
        agent=agent, from_state="idle", to_state="warm", reason="x", actor_label="y"
    )
    entry.reason = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    assert AgentTransition.objects.get(pk=entry.pk).reason == "x"


def test_leaving_busy_clears_the_stuck_flag(alpha):
    agent = make_agent(alpha, state=S.BUSY, stuck_flagged_at=T0)
    agent_transition(agent_id=agent.pk, to=S.WARM, reason="done", actor_label="t")
    assert Agent.objects.get(pk=agent.pk).stuck_flagged_at is None


# --- agents come and go with their tokens -----------------------------------------------------------


def test_a_token_makes_its_agent_and_revoking_it_kills_the_agent(alpha):
    new = token_for(alpha, name="Content agent")
    in_schema(alpha)
    agent = Agent.objects.get(token=new.token.pk)
    assert (agent.name, agent.state) == ("Content agent", S.IDLE)
    agent_token_revoke(token=new.token, actor=alpha.owner)
    in_schema(alpha)
    agent.refresh_from_db()
    assert agent.state == S.DEAD
    assert agent.transitions.first().reason == "token revoked"
    # A new token of the same name takes the agent over (its history stays), idle again.
    newer = token_for(alpha, name="Content agent")
    in_schema(alpha)
    agent.refresh_from_db()
    assert (agent.token_id, agent.state, Agent.objects.count()) == (newer.token.pk, S.IDLE, 1)


# --- heartbeats over MCP ---------------------------------------------------------------------------


def test_every_call_is_a_heartbeat_and_the_tool_reports_progress(app, alpha):  # noqa: F811
    secret = token_for(alpha).secret
    with time_machine.travel(T0, tick=False):
        (info,) = calls(app, alpha, secret, ("site_info", {}))
    in_schema(alpha)
    agent = Agent.objects.get(name="SEO agent")
    assert not info.is_error
    assert (agent.state, agent.last_tool, agent.last_heartbeat_at) == (S.WARM, "site_info", T0)
    assert agent.transitions.first().reason == "heartbeat"

    (beat,) = calls(app, alpha, secret, ("heartbeat", {"note": "Rewriting 40 pages", "progress": 35}))
    in_schema(alpha)
    agent.refresh_from_db()
    assert beat.structured_content["state"] == "warm" and beat.structured_content["progress"] == 35
    assert (agent.last_heartbeat_note, agent.last_progress, agent.last_tool) == (
        "Rewriting 40 pages",
        35,
        "heartbeat",
    )
    (over,) = calls(app, alpha, secret, ("heartbeat", {"progress": 101}))
    assert error_code(over) == "invalid_arguments"


def test_an_agent_parks_itself_and_an_illegal_move_is_a_clear_error(app, alpha):  # noqa: F811
    secret = token_for(alpha).secret
    parked, still, woken, again = calls(
        app,
        alpha,
        secret,
        ("set_my_state", {"state": "parked", "reason": "waiting for the owner"}),
        ("site_info", {}),  # a heartbeat doesn't wake a parked agent
        ("set_my_state", {"state": "warm"}),
        ("set_my_state", {"state": "warm"}),
    )
    assert parked.structured_content["state"] == "parked"
    assert woken.structured_content["state"] == "warm"
    assert error_code(again) == "illegal_agent_transition"
    in_schema(alpha)
    log = list(
        Agent.objects.get(name="SEO agent").transitions.order_by("pk").values_list("to_state", "reason")
    )
    assert log == [("warm", "heartbeat"), ("parked", "waiting for the owner"), ("warm", "by itself")]


def test_a_dead_agent_calling_again_is_warm(alpha):
    agent = make_agent(alpha, state=S.DEAD)
    assert agent_heartbeat(agent=agent, tool="site_info").state == S.WARM


# --- stuck detection ------------------------------------------------------------------------------


def test_a_busy_agent_silent_past_the_threshold_is_flagged_once_with_one_notification(alpha, telegram):
    agent = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0, last_tool="publish_content")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):  # at the limit: not yet
        assert agents_evaluate()["stuck"] == 0
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=1), tick=False):
        assert agents_evaluate()["stuck"] == 1
        assert agents_evaluate()["stuck"] == 0  # once
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        tasks.agents_evaluate_all()  # the beat fan-out, every tenant
    agent.refresh_from_db()
    assert agent.state == S.BUSY and agent.stuck_flagged_at == T0 + timedelta(minutes=10, seconds=1)
    assert len(telegram) == 1 and telegram[0]["chat_id"] == 7001
    assert "SEO agent" in telegram[0]["text"] and "publish_content" in telegram[0]["text"]
    assert OutboundMessage.objects.filter(ref=f"agent-stuck:{agent.pk}").count() == 1

    # It calls again: the flag is gone, and a new stall is a new (single) alert.
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        agent_heartbeat(agent=agent, tool="get_leads")
    agent.refresh_from_db()
    assert agent.stuck_flagged_at is None
    with time_machine.travel(T0 + timedelta(minutes=42), tick=False):
        agents_evaluate()
    assert len(telegram) == 2


def test_a_busy_agent_with_a_heartbeat_is_never_flagged(alpha, telegram):
    agent = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0)
    for minute in range(0, 60, 5):  # a long job that reports in every five minutes
        with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
            agent_heartbeat(agent=agent, note=f"{minute} minutes in")
        with time_machine.travel(T0 + timedelta(minutes=minute + 4, seconds=59), tick=False):
            agents_evaluate()
    agent.refresh_from_db()
    assert agent.stuck_flagged_at is None and agent.state == S.BUSY and telegram == []


@override_settings(AGENT_STUCK_MINUTES=1)
def test_a_heartbeat_younger_than_two_minutes_always_wins_over_a_short_threshold(alpha, telegram):
    agent = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert agents_evaluate()["stuck"] == 0
    with time_machine.travel(T0 + timedelta(minutes=2, seconds=1), tick=False):
        assert agents_evaluate()["stuck"] == 1
    agent.refresh_from_db()
    assert agent.stuck_flagged_at is not None and len(telegram) == 1


def test_stuck_detection_is_per_tenant(alpha, beta, telegram):
    make_agent(beta, name="Beta agent", state=S.BUSY, last_heartbeat_at=T0)
    mine = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0 + timedelta(minutes=30))
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        tasks.agents_evaluate_all()
    in_schema(beta)
    assert Agent.objects.get(name="Beta agent").stuck_flagged_at is not None
    in_schema(alpha)
    assert Agent.objects.get(pk=mine.pk).stuck_flagged_at is None
    assert telegram == []  # beta's owner has no linked chat; alpha's owner hears nothing of beta


# --- idling and dying ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "after"),
    [("on_demand", "idle"), ("parked_when_idle", "parked"), ("always_warm", "warm")],
)
def test_a_silent_warm_agent_idles_as_its_policy_says(alpha, policy, after):
    agent = make_agent(alpha, state=S.WARM, warm_policy=policy, last_heartbeat_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        agents_evaluate()
    assert Agent.objects.get(pk=agent.pk).state == S.WARM
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
        agents_evaluate()
    assert Agent.objects.get(pk=agent.pk).state == after


@pytest.mark.parametrize(
    ("start", "after"), [("warm", "dead"), ("idle", "dead"), ("busy", "dead"), ("parked", "parked")]
)
def test_silence_past_the_dead_threshold_kills_all_but_a_parked_agent(alpha, start, after):
    agent = make_agent(alpha, state=start, warm_policy="always_warm", last_heartbeat_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        agents_evaluate()
    assert Agent.objects.get(pk=agent.pk).state == start
    with time_machine.travel(T0 + timedelta(minutes=60, seconds=1), tick=False):
        agents_evaluate()
    agent.refresh_from_db()
    assert agent.state == after
    if after == "dead":
        assert agent.transitions.first().reason == "no heartbeat for 60 minutes"


def test_an_agent_found_dead_gets_no_stuck_alert_on_top(alpha, telegram):
    agent = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        assert agents_evaluate() == {"stuck": 0, "idled": 0, "dead": 1}
    assert Agent.objects.get(pk=agent.pk).state == S.DEAD and telegram == []


# --- the owner's Agents table ---------------------------------------------------------------------


def test_the_owner_sees_states_live_and_parks_and_wakes_an_agent(alpha):
    agent = make_agent(alpha, state=S.BUSY, last_heartbeat_at=T0, last_tool="get_seo_data", last_progress=40)
    owner = client_for(alpha, alpha.owner)
    page = owner.get("/agents/").content.decode()
    assert 'hx-get="/agents/states/"' in page and 'hx-trigger="every 10s"' in page
    table = owner.get("/agents/states/").content.decode()
    assert "SEO agent" in table and "Busy" in table and "get_seo_data" in table and "(40%)" in table

    parked = owner.post(f"/agents/{agent.pk}/state/", {"to": "parked"}, HTTP_HX_REQUEST="true")
    assert parked.status_code == 200 and "Parked" in parked.content.decode()
    in_schema(alpha)
    assert agent.transitions.first().actor_label == alpha.owner.email
    assert owner.post(f"/agents/{agent.pk}/state/", {"to": "parked"}).status_code == 409
    assert owner.post(f"/agents/{agent.pk}/state/", {"to": "dead"}).status_code == 400
    assert owner.post(f"/agents/{agent.pk}/state/", {"to": "warm"}).status_code == 302
    in_schema(alpha)
    agent.refresh_from_db()
    assert agent.state == S.WARM
    # Waking is for a parked agent only.
    assert owner.post(f"/agents/{agent.pk}/state/", {"to": "warm"}).status_code == 409


def test_members_and_other_tenants_owners_cannot_change_an_agent(alpha, beta):
    agent = make_agent(beta, name="Beta agent")
    connection.set_schema_to_public()
    from tenants.models import Membership

    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.OWNER)
    # An owner of both tenants, on alpha's host, with beta's agent id: alpha has no such agent.
    assert (
        client_for(alpha, beta.owner).post(f"/agents/{agent.pk}/state/", {"to": "parked"}).status_code == 404
    )
    assert (
        client_for(beta, beta.member).post(f"/agents/{agent.pk}/state/", {"to": "parked"}).status_code == 403
    )
    in_schema(beta)
    assert Agent.objects.get(pk=agent.pk).state == S.IDLE


def test_a_progress_outside_0_to_100_is_refused_by_the_service(alpha):
    agent = make_agent(alpha)
    with pytest.raises(DomainError) as raised:
        agent_heartbeat(agent=agent, progress=101)
    assert raised.value.code == "progress_out_of_range"
    assert agent_heartbeat(agent=agent, progress=100).last_progress == 100


def test_a_failing_heartbeat_never_fails_the_call(app, alpha, monkeypatch):  # noqa: F811
    secret = token_for(alpha).secret

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("chat.services.agents.agent_heartbeat", broken)
    (info,) = calls(app, alpha, secret, ("site_info", {}))
    assert not info.is_error and info.structured_content["name"] == "Alpha Movers"


def test_staff_see_a_tenants_agents_and_their_state_changes_in_the_admin(alpha, beta):
    from django.test import Client

    from tenants.models import User

    make_agent(alpha, state=S.BUSY, last_tool="get_seo_data")
    agent = Agent.objects.get(name="SEO agent")
    agent_transition(agent_id=agent.pk, to=S.PARKED, reason="holiday", actor_label="owner@alpha.example")
    connection.set_schema_to_public()
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    page = staff.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/agents/").content.decode()
    assert "Parked" in page and "get_seo_data" in page and "holiday" in page
    others = staff.get(f"/admin/tenants/tenant/{beta.tenant.pk}/agents/").content.decode()
    assert "holiday" not in others


def test_telegram_status_lists_the_agents_and_names_a_stuck_one(alpha):
    from chat.telegram.commands import status_reply

    make_agent(alpha, state=S.BUSY, stuck_flagged_at=T0, last_tool="publish_content")
    make_agent(alpha, name="Content <agent>", state=S.PARKED)
    in_schema(alpha)
    text = status_reply(tenant=alpha.tenant).text
    assert "• SEO agent: busy — stuck (last: publish_content)" in text
    assert "• Content &lt;agent&gt;: parked" in text


def test_a_transition_reads_the_state_under_the_row_lock(alpha):
    """Two moves of one busy agent to warm at once: the second waits for the first and then finds it
    warm (illegal again), so the log has one busy → warm, never two."""
    import threading

    from django.db import close_old_connections, transaction
    from django_tenants.utils import tenant_context

    from tests.conftest import on_own_connection

    def setup():
        with tenant_context(alpha.tenant):
            return Agent.objects.create(name="Racing agent", state=S.BUSY).pk

    def waiting_on_a_lock():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            return cursor.fetchone()[0] > 0

    def log():
        with tenant_context(alpha.tenant):
            return list(AgentTransition.objects.filter(agent_id=pk).values_list("from_state", "to_state"))

    def teardown():
        with tenant_context(alpha.tenant):
            Agent.objects.filter(name="Racing agent").delete()

    pk = on_own_connection(setup)
    locked, release = threading.Event(), threading.Event()
    outcome = []

    def first_move():
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                agent_transition(agent_id=pk, to=S.WARM, reason="first", actor_label="t")
                locked.set()
                release.wait()
        finally:
            locked.set()
            close_old_connections()
            connection.close()

    def second_move():
        try:
            with tenant_context(alpha.tenant):
                agent_transition(agent_id=pk, to=S.WARM, reason="second", actor_label="t")
            outcome.append("moved")
        except Conflict as exc:
            outcome.append(exc.code)
        finally:
            connection.close()

    holder, racer = threading.Thread(target=first_move), threading.Thread(target=second_move)
    try:
        holder.start()
        locked.wait()
        racer.start()
        for _ in range(500):  # until the racer waits on the agent's row (polled, at most ~5 s)
            if on_own_connection(waiting_on_a_lock):
                break
            threading.Event().wait(0.01)
        release.set()
        holder.join()
        racer.join()
        assert outcome == ["illegal_agent_transition"]
        assert on_own_connection(log) == [("busy", "warm")]
    finally:
        release.set()
        holder.join()
        if racer.is_alive() or racer.ident:
            racer.join()
        on_own_connection(teardown)
