"""The demo's agent workspace: two agents with their own tokens, states with a history, a task board
across every status, checkpoints and bus messages — consistent with the services' own rules, loaded
once, and shown on the owner's Agents, Tasks and Bus pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django_tenants.utils import tenant_context

from chat.agents_demo import agents_demo_load
from chat.models import Agent, AgentTransition, BusMessage, Checkpoint, MemoryEntry, Task, TaskEvent
from chat.services.agents import agents_evaluate
from chat.services.bus import inbox_read
from chat.services.tasks import task_teardown
from chat.workspace_demo import ARCHIVE_MINUTES, CONTENT, SEO, TASKS
from tenants.models import AgentToken, TenantConfig
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
S, T = Agent.State, Task.Status
ROWS = (Agent, AgentTransition, Task, TaskEvent, Checkpoint, BusMessage, MemoryEntry)


def test_the_workspace_demo_loads_once_consistent_and_shown_to_the_owner(
    alpha, django_capture_on_commit_callbacks
):
    """One load (loading is the slow part) checked from every side."""
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=False):
        agents_demo_load(tenant=alpha.tenant, owner=alpha.owner)
        counts = {model: model.objects.count() for model in ROWS}
        tokens = AgentToken.objects.filter(tenant=alpha.tenant).count()
        assert agents_demo_load(tenant=alpha.tenant, owner=alpha.owner) == 0  # loaded twice: nothing new
        assert {model: model.objects.count() for model in ROWS} == counts
        assert AgentToken.objects.filter(tenant=alpha.tenant).count() == tokens == 2
    two_agents_with_their_own_tokens_and_a_history_that_leads_to_their_state(alpha)
    the_board_holds_every_status_with_events_that_lead_to_it(alpha)
    checkpoints_and_relayed_bus_messages(alpha)
    the_owner_sees_the_workspace_on_the_agents_tasks_and_bus_pages(alpha)


def two_agents_with_their_own_tokens_and_a_history_that_leads_to_their_state(demo):
    assert set(AgentToken.objects.filter(tenant=demo.tenant).values_list("name", flat=True)) == {SEO, CONTENT}
    with tenant_context(demo.tenant):
        seo, content = Agent.objects.get(name=SEO), Agent.objects.get(name=CONTENT)
        now = timezone.now()
        assert seo.state == S.BUSY and now - seo.last_heartbeat_at < timedelta(minutes=2)
        assert seo.last_progress == 40 and "losing clicks" in seo.last_heartbeat_note
        assert content.state == S.WARM and content.last_heartbeat_at < seo.last_heartbeat_at
        assert content.last_progress is None and "Holding" in content.last_heartbeat_note  # not a task's
        for agent in (seo, content):
            log = list(agent.transitions.order_by("pk"))
            assert log[0].from_state == S.IDLE and log[-1].to_state == agent.state
            assert all(a.to_state == b.from_state for a, b in zip(log, log[1:], strict=False))
            assert agent.state_changed_at == log[-1].created
            assert now - log[0].created > timedelta(days=2)  # the history reaches back days
            assert [t.created for t in log] == sorted(t.created for t in log)
        assert [t.to_state for t in content.transitions.order_by("pk")] == [
            S.WARM, S.BUSY, S.DEAD, S.WARM, S.BUSY, S.WARM, S.PARKED, S.WARM,
        ]  # fmt: skip
        # Nothing in it is stale: the beat and the teardown right after the load change nothing.
        assert agents_evaluate() == {"stuck": 0, "idled": 0, "dead": 0}
        assert task_teardown() == {"archived": 0, "released": 0, "reopened": 0}


def the_board_holds_every_status_with_events_that_lead_to_it(demo):
    assert TenantConfig.objects.get(pk=demo.tenant.pk).task_archive_minutes == ARCHIVE_MINUTES
    with tenant_context(demo.tenant):
        tasks = {task.title: task for task in Task.objects.all()}
        assert len(tasks) == len(TASKS) == 6
        status = {key: tasks[title].status for key, (title, _detail, _lane) in TASKS.items()}
        assert status == {
            "meta": T.DONE, "florida": T.RELEASED, "faq": T.FAILED, "losing": T.CLAIMED,
            "spring": T.OPEN, "links": T.OPEN,
        }  # fmt: skip
        for task in tasks.values():
            events = list(task.events.order_by("pk"))
            assert events[-1].to_status == task.status and task.created == events[0].created
        released = tasks[TASKS["florida"][0]]
        assert released.note == "Released: its agent is dead." and released.agent is None
        assert released.events.last().actor_label == "teardown"
        claimed = tasks[TASKS["losing"][0]]
        assert claimed.agent.name == SEO and claimed.progress == 40
        assert timezone.now() - claimed.claimed_at == pytest.approx(
            timedelta(hours=2), abs=timedelta(minutes=1)
        )
        done = tasks[TASKS["meta"][0]]
        assert done.progress == 100 and timezone.now() - done.finished_at > timedelta(days=2)
        assert Task.objects.filter(archived_at__isnull=False).count() == 0


def checkpoints_and_relayed_bus_messages(demo):
    with tenant_context(demo.tenant):
        seo, content = Agent.objects.get(name=SEO), Agent.objects.get(name=CONTENT)
        assert list(seo.checkpoints.values_list("version", flat=True)) == [2, 1]
        assert not content.checkpoints.exists()
        assert "losing clicks" in seo.checkpoints.first().task
        messages = BusMessage.objects.order_by("pk")
        assert 6 <= messages.count() <= 10 and not messages.filter(relayed_at__isnull=True).exists()
        senders = set(messages.values_list("sender_label", flat=True))
        assert senders == {f"agent {SEO}", f"agent {CONTENT}", demo.owner.email}
        inbox, _cursor = inbox_read(agent=content, cursor=None)
        mine = messages.exclude(sender=content).filter(Q(recipient=None) | Q(recipient=content))
        assert [m["id"] for m in inbox] == list(mine.values_list("pk", flat=True))
        assert any(m["reply_to"] for m in inbox)


def the_owner_sees_the_workspace_on_the_agents_tasks_and_bus_pages(demo):
    owner = client_for(demo, user=demo.owner)
    states = owner.get("/agents/states/").content.decode()
    assert SEO in states and CONTENT in states and "Busy" in states and "(40%)" in states
    board = owner.get("/agents/tasks/").content.decode()
    assert all(escape(title) in board for title, _detail, _lane in TASKS.values())
    assert "Released: its agent is dead." in board and "status-failed" in board
    bus = owner.get("/agents/bus/").content.decode()
    assert "may I quote transit times for Europe" in bus and "4 to 6 weeks port to port" in bus


def test_a_demo_tenant_whose_token_predates_the_agent_registry_loads(
    alpha, django_capture_on_commit_callbacks
):
    """A demo loaded before agents were registered has the SEO agent's token and no Agent row: the
    workspace makes the agent from the token (as its next MCP call would) instead of failing."""
    from chat.agents_demo import SCOPES
    from tenants.services.agent_tokens import agent_token_create

    agent_token_create(tenant=alpha.tenant, name=SEO, scopes=SCOPES, actor=alpha.owner)
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=False):
        Agent.objects.all().delete()
        agents_demo_load(tenant=alpha.tenant, owner=alpha.owner)
        seo = Agent.objects.get(name=SEO)
        assert seo.token_id == AgentToken.objects.get(tenant=alpha.tenant, name=SEO).pk
        assert seo.state == S.BUSY and Task.objects.filter(agent=seo, status=T.CLAIMED).exists()
