"""The agent registry's lifecycle: one Agent per token identity, its state moved only here.

States: warm (connected, no task), busy (working on a claimed task), idle (no activity for a while),
parked (set aside by the owner or itself: no alerts, not idled, not declared dead), dead (no
heartbeat past the dead threshold, or its token revoked). `TRANSITIONS` lists every allowed move;
`agent_transition` applies one under select_for_update and appends an AgentTransition with its reason.

Every authenticated MCP call is a heartbeat (chat/mcp/calls.py); the `heartbeat` tool adds a note and
a percentage. `agents_evaluate` (a beat fan-out, every minute) flags a busy agent silent for the
stuck threshold as stuck — once per stall, with one owner notification, and never while a fresh
heartbeat exists (a long tool call is work, not a hang) — idles a silent warm agent as its warm
policy says, and declares dead one silent past the dead threshold. The thresholds are the tenant's
own (TenantConfig) or the deployment's settings: `agent_thresholds` gives the ones in force.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape

from chat.models import Agent, AgentTransition
from inkwell.errors import Conflict, DomainError

logger = logging.getLogger(__name__)

State = Agent.State
Policy = Agent.WarmPolicy

TRANSITIONS: dict[str, frozenset[str]] = {
    State.IDLE: frozenset({State.WARM, State.BUSY, State.PARKED, State.DEAD}),
    State.WARM: frozenset({State.BUSY, State.IDLE, State.PARKED, State.DEAD}),
    # A busy agent finishes (warm), is set aside (parked) or goes silent for good (dead); it never
    # just idles: silence while busy is what stuck detection is for.
    State.BUSY: frozenset({State.WARM, State.PARKED, State.DEAD}),
    State.PARKED: frozenset({State.WARM, State.DEAD}),
    # A dead agent comes back by calling again (warm) or with a new token of its name (idle).
    State.DEAD: frozenset({State.WARM, State.IDLE}),
}

SYSTEM = "system"
SILENCE_KILLS = (State.WARM, State.IDLE, State.BUSY)  # a parked agent is never declared dead by silence
HEARTBEAT_NOTE_MAX = 300
TOOL_MAX = 60


def agent_transition(*, agent_id: int, to: str, reason: str, actor_label: str) -> Agent:
    """Move agent `agent_id` to state `to` if the table allows it from its current state (read under
    a row lock); raises Conflict("illegal_agent_transition") otherwise. Appends one AgentTransition."""
    if to not in State.values:
        raise DomainError(f"Unknown agent state “{to}”.", code="unknown_agent_state")
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent_id)
        return _apply(agent=agent, to=to, reason=reason, actor_label=actor_label)


def _apply(*, agent: Agent, to: str, reason: str, actor_label: str) -> Agent:
    """The move on a row the caller holds locked (inside its transaction)."""
    if to not in TRANSITIONS[agent.state]:
        raise Conflict(
            f"{agent.name} is {agent.state}; it can't become {to}.", code="illegal_agent_transition"
        )
    now = timezone.now()
    AgentTransition.objects.create(
        agent=agent,
        from_state=agent.state,
        to_state=to,
        reason=reason[:200],
        actor_label=actor_label[:120],
    )
    agent.state, agent.state_changed_at = to, now
    fields = ["state", "state_changed_at"]
    if to != State.BUSY and agent.stuck_flagged_at is not None:
        agent.stuck_flagged_at = None  # a stuck flag belongs to the busy spell it was raised in
        fields.append("stuck_flagged_at")
    agent.save(update_fields=fields)
    return agent


def agent_for_token(*, token) -> Agent:
    """The Agent of `token` in the current schema, made on first sight (idle). A new token of a name
    whose agent lost its token takes that agent over (its history stays with the name)."""
    agent = Agent.objects.filter(token=token.pk).first()
    if agent is not None:
        return agent
    with transaction.atomic():
        agent = Agent.objects.select_for_update().filter(name=token.name).first()
        if agent is None:
            try:
                with transaction.atomic():
                    return Agent.objects.create(token_id=token.pk, name=token.name, label=token.name)
            except IntegrityError:  # made at the same moment by another call of the same token
                return Agent.objects.get(name=token.name)
        agent.token_id = token.pk
        agent.save(update_fields=["token"])
        if agent.state == State.DEAD:
            _apply(agent=agent, to=State.IDLE, reason="new token", actor_label=SYSTEM)
        return agent


def agent_token_revoked(*, token_id: int) -> Agent | None:
    """Its token was revoked: the agent is dead (if it isn't already)."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().filter(token=token_id).first()
        if agent is not None and agent.state != State.DEAD:
            _apply(agent=agent, to=State.DEAD, reason="token revoked", actor_label=SYSTEM)
        return agent


def agent_heartbeat(*, agent: Agent, tool: str = "", note: str = "", progress: int | None = None) -> Agent:
    """The agent is alive: record when, the tool it called and its progress note; clears a stuck flag.
    An idle or dead agent that calls becomes warm; a parked one stays parked (set aside until the owner
    or the agent itself wakes it)."""
    if progress is not None and not 0 <= progress <= 100:
        raise DomainError("Progress is a percentage from 0 to 100.", code="progress_out_of_range")
    now = timezone.now()
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        agent.last_heartbeat_at = now
        agent.stuck_flagged_at = None
        fields = ["last_heartbeat_at", "stuck_flagged_at"]
        if tool:
            agent.last_tool = tool[:TOOL_MAX]
            fields.append("last_tool")
        if note or progress is not None:
            agent.last_heartbeat_note = (note or "").strip()[:HEARTBEAT_NOTE_MAX]
            agent.last_progress = progress
            fields += ["last_heartbeat_note", "last_progress"]
        agent.save(update_fields=fields)
        if agent.state in (State.IDLE, State.DEAD):
            _apply(agent=agent, to=State.WARM, reason="heartbeat", actor_label=f"agent {agent.name}")
    return agent


# --- the beat: stuck, idle, dead -----------------------------------------------------------------


@dataclass(frozen=True)
class AgentThresholds:
    """The agent workspace's thresholds in force for one tenant, in minutes."""

    stuck: int
    fresh_heartbeat: int
    idle: int
    dead: int
    task_archive: int
    task_claim_timeout: int


_THRESHOLD_FIELDS = {
    "stuck": "agent_stuck_minutes",
    "fresh_heartbeat": "agent_fresh_heartbeat_minutes",
    "idle": "agent_idle_minutes",
    "dead": "agent_dead_minutes",
    "task_archive": "task_archive_minutes",
    "task_claim_timeout": "task_claim_timeout_minutes",
}


def agent_thresholds(*, tenant=None) -> AgentThresholds:
    """The thresholds of `tenant` (default: the connection's), read fresh from its configuration: each
    its own value, or the setting (AGENT_STUCK_MINUTES …) where it has none."""
    from tenants.models import TenantConfig

    if tenant is None:
        tenant = getattr(connection, "tenant", None)
    configs = TenantConfig.objects.none()
    if getattr(tenant, "pk", None) is not None:
        configs = TenantConfig.objects.filter(pk=tenant.pk)
    elif getattr(tenant, "schema_name", None):  # a schema switched to by name only (no tenant model)
        configs = TenantConfig.objects.filter(tenant__schema_name=tenant.schema_name)
    config = configs.only(*_THRESHOLD_FIELDS.values()).first()
    config = config or TenantConfig()  # none of its own: every threshold is the setting
    return AgentThresholds(
        **{name: config.agent_threshold(field) for name, field in _THRESHOLD_FIELDS.items()}
    )


def agents_evaluate() -> dict:
    """Evaluate the current schema's agents (see the module's docstring) with its tenant's thresholds.
    Idempotent: a second run at the same moment changes nothing and notifies no one. Returns counts."""
    now = timezone.now()
    limits = agent_thresholds()
    # A fresh heartbeat always wins, whatever the stuck threshold (the deployment's settings may disagree).
    silent_since = now - timedelta(minutes=max(limits.stuck, limits.fresh_heartbeat))
    dead_since = now - timedelta(minutes=limits.dead)
    idle_since = now - timedelta(minutes=limits.idle)
    counts = {"stuck": 0, "idled": 0, "dead": 0}

    # Dead first: an agent silent that long needs no stuck alert on top.
    for pk in Agent.objects.filter(state__in=SILENCE_KILLS, last_heartbeat_at__lt=dead_since).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            agent = Agent.objects.select_for_update().get(pk=pk)
            if agent.state in SILENCE_KILLS and agent.last_heartbeat_at < dead_since:
                reason = f"no heartbeat for {limits.dead} minutes"
                _apply(agent=agent, to=State.DEAD, reason=reason, actor_label=SYSTEM)
                counts["dead"] += 1

    for pk in Agent.objects.filter(
        state=State.BUSY, stuck_flagged_at__isnull=True, last_heartbeat_at__lt=silent_since
    ).values_list("pk", flat=True):
        # Flag in one conditional UPDATE: of two evaluations at once, one flags and notifies.
        flagged = Agent.objects.filter(
            Q(pk=pk, state=State.BUSY, stuck_flagged_at__isnull=True, last_heartbeat_at__lt=silent_since)
        ).update(stuck_flagged_at=now)
        if flagged:
            counts["stuck"] += 1
            agent_stuck_notify(agent=Agent.objects.get(pk=pk))

    for pk in (
        Agent.objects.filter(
            state=State.WARM, last_heartbeat_at__lt=idle_since, last_heartbeat_at__gte=dead_since
        )
        .exclude(warm_policy=Policy.ALWAYS_WARM)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            agent = Agent.objects.select_for_update().get(pk=pk)
            if agent.state != State.WARM or agent.warm_policy == Policy.ALWAYS_WARM:
                continue
            if not (agent.last_heartbeat_at and agent.last_heartbeat_at < idle_since):
                continue
            to = State.PARKED if agent.warm_policy == Policy.PARKED_WHEN_IDLE else State.IDLE
            reason = f"no activity for {limits.idle} minutes"
            _apply(agent=agent, to=to, reason=reason, actor_label=SYSTEM)
            counts["idled"] += 1
    return counts


def agent_stuck_notify(*, agent: Agent) -> int:
    """Tell the owner(s) with a linked Telegram chat that `agent` looks stuck; how many chats got it."""
    from chat.telegram.send import owner_links, telegram_send

    tenant = connection.tenant
    silent = int((timezone.now() - agent.last_heartbeat_at).total_seconds() // 60)
    text = (
        f"⚠️ Agent <b>{escape(agent.name)}</b> looks stuck: busy, and no heartbeat for {silent} minutes."
        + (f"\nLast tool: {escape(agent.last_tool)}" if agent.last_tool else "")
    )
    sent = 0
    for link in owner_links(tenant=tenant):
        telegram_send(tenant=tenant, chat_id=link.chat_id, text=text, ref=f"agent-stuck:{agent.pk}")
        sent += 1
    if not sent:
        logger.info("Agent %s is stuck; no owner of %s has linked Telegram", agent.name, tenant)
    return sent
