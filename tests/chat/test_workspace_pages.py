"""The agent workspace's pages for owners and staff: the Agents table's current task (at a flat query
count), the bus page's paging, polling and the owner's rate limit, and the admin's tasks (with their
events), checkpoints and bus messages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chat.models import Agent, BusMessage
from chat.services.agents import agent_heartbeat
from chat.services.bus import bus_send
from chat.services.checkpoints import checkpoint_save
from chat.services.tasks import task_claim, task_create, task_transition, task_update
from chat.tasks import tasks_teardown
from tenants.models import Membership, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def in_schema(world):
    connection.set_tenant(world.tenant)


# --- the Agents table: each agent's current task --------------------------------------------------


def _claimed(agent: Agent, title: str):
    task = task_create(title=title, actor_label="owner@alpha.example")
    return task_claim(task_id=task.pk, agent=agent)


def test_the_agents_table_names_each_agents_claimed_task_with_a_link_to_the_board(alpha):
    in_schema(alpha)
    seo, idle = Agent.objects.create(name="SEO agent"), Agent.objects.create(name="Content agent")
    task = _claimed(seo, "Rewrite the <Ottawa> page")
    done = _claimed(idle, "Old work")
    done.status = "done"
    done.save()
    html = client_for(alpha, user=alpha.owner).get("/agents/states/").content.decode()
    seo_row = re.search(rf'<tr id="agent-{seo.pk}">(.*?)</tr>', html, re.S)[1]
    idle_row = re.search(rf'<tr id="agent-{idle.pk}">(.*?)</tr>', html, re.S)[1]
    assert f'<a href="/agents/tasks/#task-{task.pk}">Rewrite the &lt;Ottawa&gt; page</a>' in seo_row
    assert "Old work" not in idle_row and "<td>—</td>" in idle_row
    assert "Current task" in client_for(alpha, user=alpha.owner).get("/agents/").content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_agents_table_reads_as_many_queries_for_five_agents_as_for_one(alpha, django_assert_num_queries):
    in_schema(alpha)
    owner = client_for(alpha, user=alpha.owner)
    first = Agent.objects.create(name="agent 0")
    _claimed(first, "task 0")
    one = _queries(owner, "/agents/states/")
    in_schema(alpha)
    for n in range(1, 5):
        agent = Agent.objects.create(name=f"agent {n}")
        if n % 2:
            _claimed(agent, f"task {n}")
    html = owner.get("/agents/states/").content.decode()
    assert all(f"task {n}" in html for n in (0, 1, 3))
    with django_assert_num_queries(one):
        owner.get("/agents/states/")


# --- the Agents table: a claim's progress note ends with the claim ------------------------------

NOTE = "Rewriting the Ottawa titles"


def _agent_row(world, agent: Agent) -> str:
    html = client_for(world, user=world.owner).get("/agents/states/").content.decode()
    return re.search(rf'<tr id="agent-{agent.pk}">(.*?)</tr>', html, re.S)[1]


def _complete(world, task, agent):
    task_transition(task_id=task.pk, to="done", actor_label=f"agent {agent.name}", expect_agent=agent)


def _release(world, task, agent):
    task_transition(task_id=task.pk, to="released", actor_label=f"agent {agent.name}", expect_agent=agent)


def _owner_closes(world, task, agent):
    owner = client_for(world, user=world.owner)
    assert owner.post(f"/agents/tasks/{task.pk}/close/", {"outcome": "failed"}).status_code == 302


def _owner_takes_back(world, task, agent):
    owner = client_for(world, user=world.owner)
    assert owner.post(f"/agents/tasks/{task.pk}/reassign/", {"agent": ""}).status_code == 302


def _owner_gives_to_another(world, task, agent):
    other = Agent.objects.create(name="Content agent")
    owner = client_for(world, user=world.owner)
    assert owner.post(f"/agents/tasks/{task.pk}/reassign/", {"agent": other.pk}).status_code == 302


def _teardown_frees(world, task, agent):
    Agent.objects.filter(pk=agent.pk).update(state=Agent.State.DEAD)
    assert tasks_teardown.apply().get()["released"] == 1


@pytest.mark.parametrize(
    "end",
    [_complete, _release, _owner_closes, _owner_takes_back, _owner_gives_to_another, _teardown_frees],
)
def test_a_claim_that_ends_takes_its_agents_progress_note_off_the_agents_table(alpha, end):
    in_schema(alpha)
    seo = Agent.objects.create(name="SEO agent")
    task = _claimed(seo, "Ottawa titles")
    agent_heartbeat(agent=seo, note=NOTE, progress=60)
    task_update(task_id=task.pk, agent=seo, progress=70)  # reporting on the claim keeps the note
    assert f"{NOTE} (60%)" in _agent_row(alpha, seo)
    in_schema(alpha)
    end(alpha, task, seo)
    row = _agent_row(alpha, seo)
    assert NOTE not in row and "%" not in row
    in_schema(alpha)
    seo.refresh_from_db()
    assert (seo.last_heartbeat_note, seo.last_progress) == ("", None)
    agent_heartbeat(agent=seo, note="Next: the sitemap", progress=5)  # the next heartbeat shows again
    assert "Next: the sitemap (5%)" in _agent_row(alpha, seo)


# --- the bus page: newest first, 50 a page, polled, the owner's rate -----------------------------


def _fill(count: int) -> list[BusMessage]:
    seo = Agent.objects.create(name="SEO agent")
    BusMessage.objects.bulk_create(
        BusMessage(sender=seo, sender_label="agent SEO agent", text=f"message number {n}.", recipient_ids=[])
        for n in range(count)
    )
    return list(BusMessage.objects.order_by("pk"))


def _shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"message number (\d+)\.", html)]


def test_the_bus_page_shows_fifty_newest_first_and_pages_back_with_before(alpha):
    in_schema(alpha)
    messages = _fill(52)
    owner = client_for(alpha, user=alpha.owner)
    first = owner.get("/agents/bus/").content.decode()
    assert _shown(first) == list(range(51, 1, -1))  # 50, newest first
    older = messages[2].pk  # the oldest on the first page: the next page is before it
    assert f'href="/agents/bus/?before={older}"' in first
    second = owner.get(f"/agents/bus/?before={older}").content.decode()
    assert _shown(second) == [1, 0] and "?before=" not in second.split("Pages of messages")[-1]
    assert 'href="/agents/bus/">Newest' in second
    assert owner.get("/agents/bus/?before=abc").status_code == 400
    assert owner.get("/agents/bus/?before=-1").status_code == 400


def test_a_page_of_exactly_fifty_has_no_older_link(alpha):
    in_schema(alpha)
    _fill(50)
    html = client_for(alpha, user=alpha.owner).get("/agents/bus/").content.decode()
    assert len(_shown(html)) == 50 and "?before=" not in html


def test_the_polled_list_is_the_same_page_alone_and_shows_new_messages(alpha):
    in_schema(alpha)
    messages = _fill(3)
    owner = client_for(alpha, user=alpha.owner)
    page = owner.get("/agents/bus/").content.decode()
    assert 'hx-get="/agents/bus/messages/" hx-trigger="every 10s"' in page
    in_schema(alpha)
    bus_send(sender=None, sender_label="owner@alpha.example", to=None, text="message number 3.")
    polled = owner.get("/agents/bus/messages/")
    html = polled.content.decode()
    assert polled.status_code == 200 and "<html" not in html and 'id="bus-messages"' in html
    assert _shown(html) == [3, 2, 1, 0]
    back = owner.get(f"/agents/bus/messages/?before={messages[2].pk}").content.decode()
    assert _shown(back) == [1, 0] and f'hx-get="/agents/bus/messages/?before={messages[2].pk}"' in back
    assert owner.get("/agents/bus/messages/?before=x").status_code == 400
    assert client_for(alpha, user=alpha.member).get("/agents/bus/messages/").status_code == 403


def test_an_owner_of_both_businesses_polls_only_this_ones_bus(alpha, beta):
    person = User.objects.create_user(email="both@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    in_schema(alpha)
    _fill(2)
    assert _shown(client_for(alpha, user=person).get("/agents/bus/messages/").content.decode()) == [1, 0]
    assert _shown(client_for(beta, user=person).get("/agents/bus/messages/").content.decode()) == []


def test_the_owner_may_post_the_rate_at_the_limit_and_not_one_more(alpha, settings):
    settings.BUS_RATE_PER_MINUTE = 3
    owner = client_for(alpha, user=alpha.owner)
    for n in range(3):
        assert owner.post("/agents/bus/post/", {"to": "", "text": f"post {n}"}).status_code == 302
    refused = owner.post("/agents/bus/post/", {"to": "", "text": "one more"})
    assert refused.status_code == 429
    assert "may send 3 messages a minute" in refused.content.decode()
    in_schema(alpha)
    assert sorted(BusMessage.objects.values_list("text", flat=True)) == ["post 0", "post 1", "post 2"]
    # Another owner of the same business has an allowance of their own.
    other = User.objects.create_user(email="partner@alpha.example")
    Membership.objects.create(user=other, tenant=alpha.tenant, role=Membership.Role.OWNER)
    assert client_for(alpha, user=other).post("/agents/bus/post/", {"text": "mine"}).status_code == 302


def test_the_same_agent_id_in_two_businesses_has_two_allowances(alpha, beta, settings):
    settings.BUS_RATE_PER_MINUTE = 1
    in_schema(alpha)
    sender = Agent.objects.create(name="fast")
    bus_send(sender=sender, sender_label="agent fast", to=None, text="alpha")
    connection.set_tenant(beta.tenant)
    Agent.objects.create(pk=sender.pk, name="fast")
    bus_send(sender=Agent.objects.get(pk=sender.pk), sender_label="agent fast", to=None, text="beta")
    assert BusMessage.objects.filter(text="beta").exists()


# --- the admin: tasks with their events, checkpoints, bus messages --------------------------------


def test_staff_read_a_tenants_tasks_checkpoints_and_bus_in_the_admin(alpha, beta):
    in_schema(alpha)
    seo, content = Agent.objects.create(name="SEO agent"), Agent.objects.create(name="Content agent")
    task = _claimed(seo, "Audit the Ottawa page")
    task_update(task_id=task.pk, agent=seo, note="Half the titles done", progress=50)
    checkpoint_save(
        agent=seo,
        task="Audit",
        summary="Private notes of the SEO agent.",
        open_questions=["Which photos?"],
        recent_messages=[],
    )
    bus_send(sender=seo, sender_label="agent SEO agent", to=None, text="Standup in five.")
    connection.set_schema_to_public()
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/agents/"
    page = staff.get(url).content.decode()
    assert "Audit the Ottawa page" in page and "Half the titles done" in page  # the task and its events
    events = re.search(rf'<tr id="task-{task.pk}">.*?<tr class="task-events">(.*?)</table>', page, re.S)[1]
    assert "claimed" in events and "Half the titles done" in events
    assert "Private notes of the SEO agent." in page and "Which photos?" in page
    assert "private to the agent and the owner" in page
    assert "Standup in five." in page and content.name in page.split("Standup in five.")[0].split("<tr>")[-1]
    assert staff.post(url).status_code == 403  # read-only
    others = staff.get(f"/admin/tenants/tenant/{beta.tenant.pk}/agents/").content.decode()
    assert "Audit the Ottawa page" not in others and "Private notes" not in others
    assert "Standup in five." not in others
