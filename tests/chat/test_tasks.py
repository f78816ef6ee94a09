"""The task board: the transition table, exclusive claims (two real connections), the teardown
(time travel), the MCP tools through the official client, and the owner's page."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import Agent, Task, TaskEvent
from chat.services.tasks import (
    TRANSITIONS,
    task_claim,
    task_create,
    task_teardown,
    task_transition,
    task_update,
)
from chat.tasks import tasks_teardown
from inkwell.errors import Conflict, DomainError, NotAllowed
from tenants.models import Membership, User
from tests.chat.test_mcp import app, calls, error_code, in_schema, token_for  # noqa: F401  (app: a fixture)
from tests.conftest import client_for, on_own_connection

pytestmark = pytest.mark.django_db
S = Task.Status
OWNER = "owner test"


def make_agent(name="SEO agent", **extra) -> Agent:
    return Agent.objects.create(name=name, **extra)


def task_in(status: str, agent: Agent) -> Task:
    task = task_create(title=f"Task {status}", actor_label=OWNER)
    if status != S.OPEN:
        task_transition(task_id=task.pk, to=S.CLAIMED, agent=agent, actor_label=OWNER)
        if status != S.CLAIMED:
            task_transition(task_id=task.pk, to=status, actor_label=OWNER)
    return Task.objects.get(pk=task.pk)


# --- the transition table ---------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), list(itertools.product(S.values, S.values)))
def test_every_allowed_transition_works_and_every_other_raises(alpha, before, after):
    in_schema(alpha)
    agent = make_agent()
    task = task_in(before, agent)
    events = TaskEvent.objects.filter(task=task).count()
    if after in TRANSITIONS[before]:
        moved = task_transition(task_id=task.pk, to=after, agent=agent, actor_label=OWNER, note="why")
        assert Task.objects.get(pk=task.pk).status == after == moved.status
        last = TaskEvent.objects.filter(task=task).last()
        assert (last.from_status, last.to_status, last.actor_label, last.note) == (
            before,
            after,
            OWNER,
            "why",
        )
        assert TaskEvent.objects.filter(task=task).count() == events + 1
    else:
        with pytest.raises(Conflict) as exc:
            task_transition(task_id=task.pk, to=after, agent=agent, actor_label=OWNER)
        assert exc.value.code == "illegal_task_transition"
        assert Task.objects.get(pk=task.pk).status == before
        assert TaskEvent.objects.filter(task=task).count() == events


def test_the_table_is_the_one_the_issue_describes():
    assert TRANSITIONS[S.OPEN] == {S.CLAIMED, S.DONE, S.FAILED}
    assert TRANSITIONS[S.DONE] == TRANSITIONS[S.FAILED] == set()
    assert S.OPEN in TRANSITIONS[S.CLAIMED] and S.RELEASED in TRANSITIONS[S.CLAIMED]


def test_a_claim_stamps_the_claimant_and_reopening_clears_it(alpha):
    in_schema(alpha)
    agent = make_agent()
    task = task_claim(task_id=task_create(title="Fix titles", actor_label=OWNER).pk, agent=agent)
    assert (task.status, task.agent, task.claimed_at is not None) == (S.CLAIMED, agent, True)
    task = task_transition(task_id=task.pk, to=S.OPEN, actor_label=OWNER)
    assert (task.agent, task.claimed_at) == (None, None)
    with pytest.raises(DomainError) as exc:
        task_create(title="   ", actor_label=OWNER)
    assert exc.value.code == "title_required"


def test_claim_rules(alpha):
    in_schema(alpha)
    seo, content = make_agent("SEO agent", kind="seo"), make_agent("Content agent", kind="content")
    task = task_create(title="Audit", actor_label=OWNER)
    task_claim(task_id=task.pk, agent=seo)
    assert task_claim(task_id=task.pk, agent=seo).status == S.CLAIMED  # a retried claim is fine
    assert TaskEvent.objects.filter(task=task, to_status=S.CLAIMED).count() == 1
    with pytest.raises(Conflict) as exc:
        task_claim(task_id=task.pk, agent=content)
    assert exc.value.code == "task_taken"
    meant_for_seo = task_create(title="Keywords", agent=seo, actor_label=OWNER)
    with pytest.raises(Conflict) as exc:
        task_claim(task_id=meant_for_seo.pk, agent=content)
    assert exc.value.code == "task_taken"
    seo_lane = task_create(title="Backlinks", lane="seo", actor_label=OWNER)
    with pytest.raises(NotAllowed) as exc:
        task_claim(task_id=seo_lane.pk, agent=content)
    assert exc.value.code == "wrong_lane"
    assert task_claim(task_id=seo_lane.pk, agent=seo).agent == seo
    done = task_in(S.DONE, seo)
    with pytest.raises(Conflict) as exc:
        task_claim(task_id=done.pk, agent=seo)
    assert exc.value.code == "illegal_task_transition"
    released = task_in(S.RELEASED, seo)
    assert task_claim(task_id=released.pk, agent=content).agent == content


def test_only_the_claimant_reports_and_progress_is_a_percent(alpha):
    in_schema(alpha)
    seo, content = make_agent("SEO agent"), make_agent("Content agent")
    task = task_claim(task_id=task_create(title="Audit", actor_label=OWNER).pk, agent=seo)
    assert task_update(task_id=task.pk, agent=seo, progress=100, note="all pages").progress == 100
    with pytest.raises(DomainError) as exc:
        task_update(task_id=task.pk, agent=seo, progress=101)
    assert exc.value.code == "progress_out_of_range"
    with pytest.raises(NotAllowed) as exc:
        task_update(task_id=task.pk, agent=content, note="mine now")
    assert exc.value.code == "task_not_yours"
    with pytest.raises(NotAllowed) as exc:
        task_transition(task_id=task.pk, to=S.DONE, actor_label="agent Content agent", expect_agent=content)
    assert exc.value.code == "task_not_yours"
    assert Task.objects.get(pk=task.pk).status == S.CLAIMED


# --- two agents claiming at once, on two real connections -------------------------------------------


def _wait_for_a_lock_waiter(deadline_s: float = 10.0) -> None:
    """Until another connection waits on a row lock (pg_locks is live, not a per-transaction snapshot)."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.005)
    raise AssertionError("the second claim never waited for the first")


def test_two_agents_claiming_at_once_get_exactly_one_claim(alpha):
    def setup():
        with tenant_context(alpha.tenant):
            first, second = make_agent("Racer one"), make_agent("Racer two")
            return first.pk, second.pk, task_create(title="Race", actor_label=OWNER).pk

    def teardown():
        with tenant_context(alpha.tenant):
            Task.objects.filter(title="Race").delete()
            Agent.objects.filter(name__startswith="Racer").delete()

    first_id, second_id, task_id = on_own_connection(setup)
    holding, release = threading.Event(), threading.Event()
    results = {}

    def claim(key, agent_id, hold=False):
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                results[key] = task_claim(task_id=task_id, agent=Agent.objects.get(pk=agent_id))
                if hold:  # the first claim is made but not committed yet
                    holding.set()
                    release.wait()
        except Exception as exc:
            results[key] = exc
        finally:
            holding.set()
            connection.close()

    one = threading.Thread(target=claim, args=("one", first_id, True))
    two = threading.Thread(target=claim, args=("two", second_id))
    try:
        one.start()
        holding.wait()
        two.start()
        _wait_for_a_lock_waiter()  # the second claim is in flight, blocked behind the first
        release.set()
        one.join()
        two.join()
        assert results["one"].status == S.CLAIMED
        assert isinstance(results["two"], Conflict) and results["two"].code == "task_taken"

        def stored():
            with tenant_context(alpha.tenant):
                task = Task.objects.get(pk=task_id)
                return task.agent_id, TaskEvent.objects.filter(task_id=task_id, to_status=S.CLAIMED).count()

        assert on_own_connection(stored) == (first_id, 1)
    finally:
        release.set()
        one.join()
        two.join()
        on_own_connection(teardown)


# --- teardown -----------------------------------------------------------------------------------------


def test_teardown_archives_finished_work_after_the_grace_period(alpha, settings):
    settings.TASK_ARCHIVE_MINUTES = 30
    in_schema(alpha)
    agent = make_agent()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        done, failed = task_in(S.DONE, agent), task_in(S.FAILED, agent)
        still_claimed = task_in(S.CLAIMED, agent)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert task_teardown()["archived"] == 0  # at the limit: still on the board
    with time_machine.travel(start + timedelta(minutes=30, seconds=1), tick=False):
        agent.last_heartbeat_at = timezone.now()
        agent.save()
        assert task_teardown() == {"archived": 2, "released": 0, "reopened": 0}
        assert task_teardown()["archived"] == 0  # idempotent
    assert {t.pk for t in Task.objects.filter(archived_at__isnull=False)} == {done.pk, failed.pk}
    assert Task.objects.get(pk=still_claimed.pk).archived_at is None


def test_teardown_reopens_a_claim_whose_agent_is_silent_past_the_timeout(alpha, settings):
    settings.TASK_CLAIM_TIMEOUT_MINUTES = 180
    in_schema(alpha)
    silent, busy = make_agent("Silent agent"), make_agent("Busy agent")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stale, fresh = task_in(S.CLAIMED, silent), task_in(S.CLAIMED, busy)
        Agent.objects.filter(pk=silent.pk).update(last_heartbeat_at=start)
    with time_machine.travel(start + timedelta(minutes=180), tick=False):
        Agent.objects.filter(pk=busy.pk).update(last_heartbeat_at=timezone.now())
        assert task_teardown()["reopened"] == 0  # at the limit: still claimed
    with time_machine.travel(start + timedelta(minutes=180, seconds=1), tick=False):
        assert task_teardown() == {"archived": 0, "released": 0, "reopened": 1}
    stale.refresh_from_db()
    assert (stale.status, stale.agent, stale.note) == (
        S.OPEN,
        None,
        "Reopened: no heartbeat from its agent for 180 minutes.",
    )
    assert TaskEvent.objects.filter(task=stale).last().actor_label == "teardown"
    assert Task.objects.get(pk=fresh.pk).status == S.CLAIMED  # its agent's heartbeat is fresh


def test_a_dead_agents_claims_are_released_at_once_by_the_beat_task(alpha):
    in_schema(alpha)
    dead, alive = make_agent("Dead agent"), make_agent("Live agent")
    gone, kept = task_in(S.CLAIMED, dead), task_in(S.CLAIMED, alive)
    Agent.objects.filter(pk__in=(dead.pk, alive.pk)).update(last_heartbeat_at=timezone.now())
    Agent.objects.filter(pk=dead.pk).update(state=Agent.State.DEAD)
    assert tasks_teardown.apply().get() == {"archived": 0, "released": 1, "reopened": 0}
    gone.refresh_from_db()
    assert (gone.status, gone.agent, gone.note) == (S.RELEASED, None, "Released: its agent is dead.")
    assert Task.objects.get(pk=kept.pk).status == S.CLAIMED
    assert task_claim(task_id=gone.pk, agent=alive).agent == alive  # claimable again


# --- MCP tools ----------------------------------------------------------------------------------------


def agent_with_token(world, name, *, scopes=("tasks",), kind=""):
    new = token_for(world, name=name, scopes=scopes)
    in_schema(world)
    # the token's agent was made with the token (chat.services.agents.agent_for_token)
    assert Agent.objects.filter(token_id=new.token.pk).update(kind=kind) == 1
    return new.secret


def test_agents_list_claim_update_and_complete_over_mcp(app, alpha):  # noqa: F811
    seo, content = agent_with_token(alpha, "SEO agent"), agent_with_token(alpha, "Content agent")
    task = task_create(title="Rewrite the home page", lane="", actor_label=OWNER)
    [listed, claimed] = calls(app, alpha, seo, ("task_list", {}), ("task_claim", {"task_id": task.pk}))
    assert [t["title"] for t in listed.structured_content["tasks"]] == ["Rewrite the home page"]
    assert claimed.structured_content["agent"] == "SEO agent"
    [taken, not_yours] = calls(
        app, alpha, content, ("task_claim", {"task_id": task.pk}), ("task_complete", {"task_id": task.pk})
    )
    assert error_code(taken) == "task_taken" and error_code(not_yours) == "task_not_yours"
    [updated, beat, mine, done, again] = calls(
        app,
        alpha,
        seo,
        ("task_update", {"task_id": task.pk, "note": "half way", "progress": 50}),
        ("heartbeat", {"note": "Rewriting the hero", "progress": 55}),
        ("task_list", {"mine": True}),
        ("task_complete", {"task_id": task.pk, "outcome": "done", "note": "published"}),
        ("task_complete", {"task_id": task.pk}),
    )
    assert (updated.structured_content["progress"], updated.structured_content["note"]) == (50, "half way")
    assert [t["id"] for t in mine.structured_content["tasks"]] == [task.pk]
    assert done.structured_content["status"] == "done"
    assert error_code(again) == "task_not_yours"
    in_schema(alpha)
    labels = list(TaskEvent.objects.filter(task_id=task.pk).values_list("actor_label", "to_status"))
    assert labels[-1] == ("agent SEO agent", "done")
    # the finished work's heartbeat note no longer stands as what the agent is doing
    assert beat.structured_content["note"] == "Rewriting the hero"
    agent = Agent.objects.get(name="SEO agent")
    assert (agent.last_heartbeat_note, agent.last_progress) == ("", None)


def test_an_agent_releases_its_task_and_needs_the_tasks_scope(app, alpha):  # noqa: F811
    seo = agent_with_token(alpha, "SEO agent")
    reader = agent_with_token(alpha, "Reader", scopes=("read",))
    task = task_create(title="Sitemap", actor_label=OWNER)
    [_, released] = calls(
        app,
        alpha,
        seo,
        ("task_claim", {"task_id": task.pk}),
        ("task_update", {"task_id": task.pk, "release": True}),
    )
    assert released.structured_content["status"] == "released"
    [refused] = calls(app, alpha, reader, ("task_list", {}))
    assert error_code(refused) == "missing_scope"


def test_another_tenants_agent_never_sees_or_claims_this_tenants_tasks(app, alpha, beta):  # noqa: F811
    in_schema(alpha)
    task = task_create(title="Alpha only", actor_label=OWNER)
    outsider = agent_with_token(beta, "SEO agent")
    [listed, claim] = calls(app, beta, outsider, ("task_list", {}), ("task_claim", {"task_id": task.pk}))
    assert listed.structured_content["tasks"] == []
    assert error_code(claim) == "not_found"
    in_schema(alpha)
    assert Task.objects.get(pk=task.pk).status == S.OPEN


# --- the owner's page ---------------------------------------------------------------------------------


def test_owner_creates_gives_takes_back_and_closes_a_task(alpha):
    in_schema(alpha)
    agent = make_agent("SEO agent")
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post(
        "/agents/tasks/new/", {"title": "Fix meta descriptions", "lane": "seo"}, follow=True
    )
    assert response.status_code == 200 and "Fix meta descriptions" in response.content.decode()
    in_schema(alpha)
    task = Task.objects.get(title="Fix meta descriptions")
    assert task.created_by_label == f"owner {alpha.owner.email}"
    assert owner.post(f"/agents/tasks/{task.pk}/reassign/", {"agent": agent.pk}).status_code == 302
    in_schema(alpha)
    assert Task.objects.get(pk=task.pk).agent == agent
    assert owner.post(f"/agents/tasks/{task.pk}/reassign/", {"agent": ""}).status_code == 302
    in_schema(alpha)
    assert Task.objects.get(pk=task.pk).status == S.OPEN
    assert (
        owner.post(f"/agents/tasks/{task.pk}/close/", {"outcome": "failed", "note": "n/a"}).status_code == 302
    )
    in_schema(alpha)
    assert Task.objects.get(pk=task.pk).status == S.FAILED
    response = owner.post(f"/agents/tasks/{task.pk}/close/", {"outcome": "done"})
    assert response.status_code == 409 and "can&#x27;t become done" in response.content.decode()
    assert owner.post("/agents/tasks/new/", {"title": ""}).status_code == 400


def test_members_and_other_tenants_owners_cannot_touch_the_board(alpha, beta):
    in_schema(alpha)
    task = task_create(title="Alpha task", actor_label=OWNER)
    member = client_for(alpha, user=alpha.member)
    assert member.get("/agents/tasks/").status_code == 403
    assert member.post("/agents/tasks/new/", {"title": "Rogue"}).status_code == 403
    assert member.post(f"/agents/tasks/{task.pk}/close/", {"outcome": "done"}).status_code == 403
    # an owner of both tenants, on beta's host, with alpha's task id: beta has no such task
    person = User.objects.create_user(email="both@example.com", phone="+14165550999")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    on_beta = client_for(beta, user=person)
    assert on_beta.post(f"/agents/tasks/{task.pk}/close/", {"outcome": "done"}).status_code == 404
    assert on_beta.post(f"/agents/tasks/{task.pk}/reassign/", {"agent": ""}).status_code == 404
    assert "Alpha task" not in on_beta.get("/agents/tasks/").content.decode()
    in_schema(alpha)
    assert Task.objects.get(pk=task.pk).status == S.OPEN


def test_the_board_page_reads_in_a_fixed_number_of_queries(alpha):
    from django.test.utils import CaptureQueriesContext

    in_schema(alpha)
    agent = make_agent("SEO agent")
    owner = client_for(alpha, user=alpha.owner)
    task_in(S.CLAIMED, agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/agents/tasks/").status_code == 200
        return len(captured)

    one = queries()
    in_schema(alpha)
    for n in range(5):
        task_in(S.CLAIMED, make_agent(f"Agent {n}"))
    assert queries() == one


# --- the claimant's state ----------------------------------------------------------------------------


def test_a_claim_makes_the_agent_busy_and_its_last_finished_claim_warm_again(alpha):
    in_schema(alpha)
    agent = make_agent(state=Agent.State.WARM)
    first = task_claim(task_id=task_create(title="Audit", actor_label=OWNER).pk, agent=agent)
    second = task_claim(task_id=task_create(title="Titles", actor_label=OWNER).pk, agent=agent)
    agent.refresh_from_db()
    assert agent.state == Agent.State.BUSY
    task_transition(task_id=first.pk, to=S.DONE, actor_label=OWNER, expect_agent=agent)
    agent.refresh_from_db()
    assert agent.state == Agent.State.BUSY  # still holds the second claim
    task_transition(task_id=second.pk, to=S.RELEASED, actor_label=OWNER)
    agent.refresh_from_db()
    assert agent.state == Agent.State.WARM
    assert list(agent.transitions.values_list("to_state", flat=True)) == [Agent.State.WARM, Agent.State.BUSY]


def test_a_parked_agent_stays_parked_when_it_claims(alpha):
    in_schema(alpha)
    agent = make_agent(state=Agent.State.PARKED)
    task_claim(task_id=task_create(title="Audit", actor_label=OWNER).pk, agent=agent)
    agent.refresh_from_db()
    assert agent.state == Agent.State.PARKED
