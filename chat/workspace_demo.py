"""The demo tenant's agent workspace: the SEO agent and a content agent at work for three days.

Everything is made through the services the MCP tools and the dashboard use (heartbeats, state moves,
the task board's claims, updates, completions and teardown, checkpoints, the bus), so the rows agree
with each other: each agent's transition log leads to its state, each task's events to its status.
Time travel isn't available at runtime, so each step of the story is stamped afterwards with the hour
it happened (`_Story.at`). At the end the SEO agent is busy on a claimed task with a fresh progress
note and the content agent is warm; the board holds an open, a claimed, a done, a failed and a
released task (released by the teardown when the content agent was declared dead).

The live beat keeps going after the load: a busy agent with no heartbeat is flagged stuck after the
stuck threshold and both end as dead an hour later, as real agents that stopped would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import Max, Min
from django.utils import timezone

from chat.models import Agent, AgentTransition, BusMessage, Checkpoint, MemoryEntry, Task, TaskEvent
from chat.services.agents import agent_for_token, agent_heartbeat, agent_transition
from chat.services.bus import bus_send
from chat.services.checkpoints import checkpoint_save
from chat.services.tasks import task_claim, task_create, task_teardown, task_transition, task_update
from tenants.models import Tenant, User
from tenants.services.config import tenant_config_update

SEO = "SEO agent"
CONTENT = "Content agent"
CONTENT_SCOPES = ["read", "write_content", "memory", "tasks", "notify"]
# Finished tasks stay on the demo's board for three days (the default is 30 minutes): the tenant's own
# setting, as an owner would choose it on the settings page.
ARCHIVE_MINUTES = 3 * 24 * 60

PROFILES = {
    SEO: {
        "kind": "seo",
        "label": "SEO agent (Claude, on the office laptop)",
        "description": "Watches Search Console, rewrites titles and descriptions, proposes landing pages.",
        "warm_policy": Agent.WarmPolicy.ALWAYS_WARM,
    },
    CONTENT: {
        "kind": "content",
        "label": "Content agent",
        "description": "Writes blog posts, FAQs and page copy from the business memory.",
        "warm_policy": Agent.WarmPolicy.ON_DEMAND,
    },
}

# (title, detail, lane)
TASKS = {
    "meta": (
        "Audit the meta descriptions of the service pages",
        "Every page under /vehicle-shipping/ and /moving/: under 155 characters, with the city.",
        "seo",
    ),
    "florida": (
        "Draft a blog post: shipping a car to Florida for the winter",
        "For snowbirds: enclosed vs open carriers, timing, what to leave in the car.",
        "content",
    ),
    "faq": (
        "Refresh the FAQ of the Europe shipping page",
        "Transit times, customs papers, what the quote includes.",
        "content",
    ),
    "losing": (
        "Fix the titles of the pages losing clicks week over week",
        "Start with the twelve pages flagged on the SEO dashboard.",
        "seo",
    ),
    "spring": (
        "Write the spring moving checklist",
        "A printable list for customers moving in April–May.",
        "content",
    ),
    "links": (
        "Check the quote form's landing pages for broken links",
        "Report each broken link with the page it is on.",
        "",
    ),
}


class _Story:
    """Stamps the rows each step of the story made with the time the step happened."""

    STAMPED = (AgentTransition, TaskEvent, Checkpoint, BusMessage, MemoryEntry)

    def __init__(self):
        self.now = timezone.now()
        self.marks = self._marks()

    def _marks(self) -> dict:
        return {model: model.objects.aggregate(last=Max("pk"))["last"] or 0 for model in self.STAMPED}

    def at(self, hours_ago: float):
        """The rows made since the last call happened `hours_ago`."""
        when = self.now - timedelta(hours=hours_ago)
        for model, mark in self.marks.items():
            fields = {"created": when} | ({"updated": when} if model is MemoryEntry else {})
            model.objects.filter(pk__gt=mark).update(**fields)
        self.marks = self._marks()
        return when

    def settle(self, agents: dict[str, Agent], tasks: dict[str, Task]) -> None:
        """Each task's and agent's own timestamps from the stamped log."""
        for task in tasks.values():
            events = TaskEvent.objects.filter(task=task)
            span = events.aggregate(first=Min("created"), last=Max("created"))
            fields = {"created": span["first"], "updated": span["last"]}
            task.refresh_from_db()
            if task.status == Task.Status.CLAIMED:
                claims = events.filter(to_status=Task.Status.CLAIMED).exclude(from_status=Task.Status.CLAIMED)
                fields["claimed_at"] = claims.order_by("-pk").first().created
            if task.finished_at is not None:
                fields["finished_at"] = span["last"]
            Task.objects.filter(pk=task.pk).update(**fields)
        for agent in agents.values():
            changed = agent.transitions.order_by("-pk").values_list("created", flat=True).first()
            if changed is not None:
                Agent.objects.filter(pk=agent.pk).update(state_changed_at=changed)


def _send(sender: Agent | None, owner: User, to: Agent | None, text: str, reply_to: BusMessage | None = None):
    label = f"agent {sender.name}" if sender else owner.email
    reply = reply_to.pk if reply_to else None
    return bus_send(sender=sender, sender_label=label, to=to, text=text, reply_to=reply)


def _beat(agent: Agent, story: _Story, hours_ago: float, tool: str, note: str = "", progress=None) -> Agent:
    agent = agent_heartbeat(agent=agent, tool=tool, note=note, progress=progress)
    when = story.at(hours_ago)
    Agent.objects.filter(pk=agent.pk).update(last_heartbeat_at=when)
    return agent


def workspace_demo_load(*, tenant: Tenant, owner: User, make_token: Callable[..., object]) -> int:
    """Load the workspace into the current (demo) tenant's schema once (found by its first task), in the
    caller's transaction. `make_token(name, scopes)` finds or makes an agent's token. Returns the bus
    messages made (0 when loaded before); the caller relays them once committed."""
    if Task.objects.filter(title=TASKS["meta"][0]).exists():
        return 0
    config = tenant.config
    if config.task_archive_minutes is None:
        tenant_config_update(config=config, data={"task_archive_minutes": ARCHIVE_MINUTES}, actor=None)
    # agent_for_token, not a lookup by name: a demo tenant loaded before the registry existed has the
    # SEO agent's token but no Agent row yet (as any token made then, until its next call).
    seo = agent_for_token(token=make_token(SEO))  # made with its scopes just before
    content = agent_for_token(token=make_token(CONTENT, CONTENT_SCOPES))
    for name, profile in PROFILES.items():
        Agent.objects.filter(name=name).update(**profile)
    seo, content = Agent.objects.get(pk=seo.pk), Agent.objects.get(pk=content.pk)
    owner_label = f"owner {owner.email}"
    story = _Story()

    # Day one: both agents connect; the owner fills the board and tells them what matters.
    seo = _beat(seo, story, 72, "session_start")
    content = _beat(content, story, 71.5, "session_start")
    tasks = {
        key: task_create(title=t, detail=d, lane=lane, actor_label=owner_label)
        for key, (t, d, lane) in TASKS.items()
    }
    story.at(70)
    kickoff = _send(
        None,
        owner,
        None,
        "Good morning! Winter storage season is coming: let's get the site ready for it.",
    )
    story.at(69.9)

    # The SEO agent audits the meta descriptions, tells the content agent, and checkpoints.
    task_claim(task_id=tasks["meta"].pk, agent=seo)
    story.at(69.5)
    audit = _send(
        seo,
        owner,
        content,
        "I'm auditing the meta descriptions; I'll send you the pages whose copy needs a rewrite.",
        kickoff,
    )
    story.at(69.4)
    task_update(task_id=tasks["meta"].pk, agent=seo, note="12 of 30 pages checked", progress=40)
    seo = _beat(seo, story, 68, "get_seo_data", "12 of 30 pages checked", 40)
    task_update(task_id=tasks["meta"].pk, agent=seo, note="30 of 30 pages checked", progress=100)
    seo = _beat(seo, story, 66.5, "publish_content", "30 of 30 pages checked", 100)
    task_transition(
        task_id=tasks["meta"].pk, to=Task.Status.DONE, expect_agent=seo, actor_label=f"agent {SEO}",
        note="30 pages checked; 9 descriptions rewritten and proposed for approval.",
    )  # fmt: skip
    story.at(66.2)
    _send(
        seo,
        owner,
        content,
        "Done: /vehicle-shipping/ and /moving/ need fresher intros. Details are in my checkpoint.",
        audit,
    )
    story.at(66.1)
    checkpoint_save(
        agent=seo,
        task="Audit the meta descriptions of the service pages",
        summary="All 30 service pages audited. 9 descriptions were over 155 characters or missed the city; "
        "rewritten and waiting for the owner's approval.",
        open_questions=["Should the Europe pages name the ports (Antwerp, Bremerhaven)?"],
        recent_messages=["Told the content agent which intros need rewriting."],
    )
    seo = _beat(seo, story, 66, "checkpoint_save")

    # The content agent starts the Florida post, goes silent, is declared dead; the teardown releases
    # its claim. It comes back the next day and fails the FAQ task (the page is waiting for approval).
    task_claim(task_id=tasks["florida"].pk, agent=content)
    story.at(48)
    _send(content, owner, seo, "Thanks, taking the Florida post first, then the intros.")
    story.at(47.9)
    task_update(task_id=tasks["florida"].pk, agent=content, note="Outline ready", progress=30)
    content = _beat(content, story, 47, "task_update", "Outline ready", 30)
    agent_transition(
        agent_id=content.pk, to=Agent.State.DEAD, reason="no heartbeat for 60 minutes", actor_label="system"
    )
    task_teardown()
    story.at(45.9)
    content = _beat(content, story, 30, "session_start")
    task_claim(task_id=tasks["faq"].pk, agent=content)
    story.at(29.5)
    question = _send(
        content, owner, None, "Question for the owner: may I quote transit times for Europe on the FAQ?"
    )
    story.at(29.4)
    _send(None, owner, content, "Yes: 4 to 6 weeks port to port, as the contract says.", question)
    story.at(27)
    task_transition(
        task_id=tasks["faq"].pk, to=Task.Status.FAILED, expect_agent=content, actor_label=f"agent {CONTENT}",
        note="The Europe page has a draft waiting for approval; I can't edit it until it's decided.",
    )  # fmt: skip
    story.at(26.8)
    agent_transition(
        agent_id=content.pk,
        to=Agent.State.PARKED,
        reason="waiting for the owner's approval",
        actor_label=f"agent {CONTENT}",
    )
    story.at(26.7)
    agent_transition(
        agent_id=content.pk, to=Agent.State.WARM, reason="woken by the owner", actor_label=owner_label
    )
    story.at(5)

    # Today: the SEO agent works on the pages losing clicks; the content agent waits, warm.
    task_claim(task_id=tasks["losing"].pk, agent=seo)
    story.at(2)
    hold = _send(
        seo,
        owner,
        None,
        "Starting on the pages losing clicks: please hold changes to page titles until I'm done.",
    )
    story.at(1.9)
    _send(content, owner, seo, "Holding. I'll draft the spring checklist meanwhile.", hold)
    story.at(1.8)
    checkpoint_save(
        agent=seo,
        task="Fix the titles of the pages losing clicks week over week",
        summary="Working through the twelve pages flagged on the SEO dashboard; five titles rewritten so far.",
        open_questions=["Keep “car shipping” or switch to “auto transport” in the Florida titles?"],
        recent_messages=["Asked the content agent to hold title changes."],
    )
    story.at(1)
    note = "Rewriting the titles of 12 pages losing clicks"
    task_update(task_id=tasks["losing"].pk, agent=seo, note=note, progress=40)
    seo = _beat(seo, story, 0.02, "get_seo_data", note, 40)
    content = _beat(content, story, 0.07, "read_inbox", "Holding title changes; the spring checklist is next")
    story.settle({SEO: seo, CONTENT: content}, tasks)
    return BusMessage.objects.count()
