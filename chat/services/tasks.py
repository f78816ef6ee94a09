"""The task board: creating tasks, and every status change through one function.

A status moves only along TRANSITIONS, inside `task_transition` under select_for_update, and each
move writes a TaskEvent with who made it. Claims are exclusive because the claim locks the row and
checks the status it finds *after* any other claim has committed: two agents claiming at once get
one claim and one `task_taken`. Archiving (done/failed past the grace period) is a stamp, not a
status, so it is not a transition.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from chat.models import Agent, Task, TaskEvent
from chat.services.agents import agent_thresholds
from inkwell.errors import Conflict, DomainError, NotAllowed

S = Task.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.CLAIMED, S.DONE, S.FAILED}),
    # claimed → claimed is a reassignment (the owner gives the claim to another agent)
    S.CLAIMED: frozenset({S.CLAIMED, S.OPEN, S.RELEASED, S.DONE, S.FAILED}),
    S.RELEASED: frozenset({S.CLAIMED, S.OPEN, S.DONE, S.FAILED}),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
}
CLAIMABLE = frozenset({S.OPEN, S.RELEASED})
FINISHED = frozenset({S.DONE, S.FAILED})

ILLEGAL = "illegal_task_transition"
TAKEN = "task_taken"
NOT_YOURS = "task_not_yours"


def task_create(
    *, title: str, detail: str = "", lane: str = "", agent: Agent | None = None, actor_label: str
) -> Task:
    """Put a task on the board (open), meant for `lane` or for `agent` (any agent when neither)."""
    title = title.strip()
    if not title:
        raise DomainError("Give the task a title.", code="title_required")
    with transaction.atomic():
        task = Task.objects.create(
            title=title[:200],
            detail=detail.strip(),
            lane=lane.strip(),
            agent=agent,
            created_by_label=actor_label,
        )
        TaskEvent.objects.create(task=task, to_status=S.OPEN, actor_label=actor_label)
    return task


def task_transition(
    *,
    task_id: int,
    to: str,
    actor_label: str,
    agent: Agent | None = None,
    note: str = "",
    expect_agent: Agent | None = None,
) -> Task:
    """Move a task to `to` under a row lock and log it. `agent` is the new claimant when `to` is
    claimed; `expect_agent`, when given, must be the current claimant (an agent acting on its own
    claim). Illegal moves raise Conflict (`task_taken` for a claim of a task already claimed)."""
    with transaction.atomic():
        task = get_object_or_404(Task.objects.select_for_update(), pk=task_id)
        if expect_agent is not None and (task.status != S.CLAIMED or task.agent_id != expect_agent.pk):
            raise NotAllowed("This task is not claimed by you.", code=NOT_YOURS)
        if to not in TRANSITIONS[task.status]:
            if to == S.CLAIMED and task.status == S.CLAIMED:
                raise Conflict(f"Task {task.pk} was claimed by {task.agent.name} already.", code=TAKEN)
            raise Conflict(f"A task that is {task.status} can't become {to}.", code=ILLEGAL)
        if to == S.CLAIMED and agent is None:
            raise DomainError("Say which agent takes the task.", code="agent_required")
        now = timezone.now()
        before, before_agent_id = task.status, task.agent_id
        task.status = to
        if to == S.CLAIMED:
            task.agent, task.claimed_at, task.progress = agent, now, None
        elif to in (S.OPEN, S.RELEASED):
            task.claimed_at, task.progress = None, None
            if before == S.CLAIMED:
                task.agent = None
        elif to in FINISHED:
            task.finished_at = now
        if note:
            task.note = note[:500]
        task.save()
        TaskEvent.objects.create(
            task=task, from_status=before, to_status=to, actor_label=actor_label, note=note[:500]
        )
        claim_ended = to != S.CLAIMED or task.agent_id != before_agent_id
        if before == S.CLAIMED and before_agent_id is not None and claim_ended:
            _agent_progress_clear(agent_id=before_agent_id)
        for agent_id in {before_agent_id, task.agent_id} - {None}:
            _agent_state_sync(agent_id=agent_id, reason=f"task {task.pk} {to}")
    return task


def _agent_progress_clear(*, agent_id: int) -> None:
    """The agent's claim ended (finished, released, reopened, given to another): its heartbeat's
    progress note and percent were about that work, so they go with it rather than stay on the
    Agents page until its next heartbeat. A heartbeat note names no task, so it goes even when the
    agent holds another claim; its next heartbeat says where that one stands."""
    Agent.objects.filter(pk=agent_id).update(last_heartbeat_note="", last_progress=None)


def _agent_state_sync(*, agent_id: int, reason: str) -> None:
    """An agent holding a claim is busy; one whose last claim ended is warm again (stuck detection
    watches busy agents only). Parked and dead agents keep their state: that is the owner's call."""
    from chat.services.agents import agent_transition

    state = Agent.objects.filter(pk=agent_id).values_list("state", flat=True).first()
    holds_claim = Task.objects.filter(agent_id=agent_id, status=S.CLAIMED).exists()
    if holds_claim and state in (Agent.State.IDLE, Agent.State.WARM):
        agent_transition(agent_id=agent_id, to=Agent.State.BUSY, reason=reason, actor_label="system")
    elif not holds_claim and state == Agent.State.BUSY:
        agent_transition(agent_id=agent_id, to=Agent.State.WARM, reason=reason, actor_label="system")


def task_claim(*, task_id: int, agent: Agent) -> Task:
    """An agent takes an open (or released) task; exclusive (see the module's docstring)."""
    with transaction.atomic():
        task = get_object_or_404(Task.objects.select_for_update(), pk=task_id)
        if task.status == S.CLAIMED:
            if task.agent_id == agent.pk:
                return task  # a retried claim: the agent has it already
            raise Conflict(f"Task {task.pk} was claimed by another agent already.", code=TAKEN)
        if task.status not in CLAIMABLE:
            raise Conflict(f"A task that is {task.status} can't be claimed.", code=ILLEGAL)
        if task.agent_id is not None and task.agent_id != agent.pk:
            raise Conflict(f"Task {task.pk} is meant for another agent.", code=TAKEN)
        if task.lane and agent.kind and task.lane != agent.kind:
            raise NotAllowed(f"Task {task.pk} is for the {task.lane} lane.", code="wrong_lane")
        return task_transition(task_id=task.pk, to=S.CLAIMED, agent=agent, actor_label=f"agent {agent.name}")


def task_update(*, task_id: int, agent: Agent, note: str = "", progress: int | None = None) -> Task:
    """The claimant reports progress on its task (a note, a percent); logged like a move."""
    if progress is not None and not 0 <= progress <= 100:
        raise DomainError("Progress is a percent, 0 to 100.", code="progress_out_of_range")
    with transaction.atomic():
        task = get_object_or_404(Task.objects.select_for_update(), pk=task_id)
        if task.status != S.CLAIMED or task.agent_id != agent.pk:
            raise NotAllowed("This task is not claimed by you.", code=NOT_YOURS)
        if note:
            task.note = note[:500]
        if progress is not None:
            task.progress = progress
        task.save()
        TaskEvent.objects.create(
            task=task,
            from_status=S.CLAIMED,
            to_status=S.CLAIMED,
            actor_label=f"agent {agent.name}",
            note=note[:500],
        )
    return task


def task_teardown(*, now=None) -> dict[str, int]:
    """Periodic clean-up (idempotent) with the tenant's thresholds (agent_thresholds): finished tasks
    past the archive grace period are archived; a dead agent's claims are released at once; claims
    whose agent sent no heartbeat for the claim timeout go back to open with a note. Returns how many
    of each."""
    now = now or timezone.now()
    limits = agent_thresholds()
    archived = Task.objects.filter(
        status__in=FINISHED,
        archived_at__isnull=True,
        finished_at__lt=now - timedelta(minutes=limits.task_archive),
    ).update(archived_at=now)
    claimed = Task.objects.filter(status=S.CLAIMED)
    dead = list(claimed.filter(agent__state=Agent.State.DEAD).values_list("pk", flat=True))
    silent_since = now - timedelta(minutes=limits.task_claim_timeout)
    stale = list(
        claimed.exclude(pk__in=dead)
        .filter(
            Q(agent__last_heartbeat_at__lt=silent_since)
            | Q(agent__last_heartbeat_at__isnull=True, claimed_at__lt=silent_since)
        )
        .values_list("pk", flat=True)
    )
    released = reopened = 0
    for pk in dead:
        released += _teardown_move(pk, S.RELEASED, "Released: its agent is dead.", dead_only=True)
    for pk in stale:
        minutes = limits.task_claim_timeout
        reopened += _teardown_move(
            pk,
            S.OPEN,
            f"Reopened: no heartbeat from its agent for {minutes} minutes.",
            silent_since=silent_since,
        )
    return {"archived": archived, "released": released, "reopened": reopened}


def _teardown_move(pk: int, to: str, note: str, *, dead_only: bool = False, silent_since=None) -> int:
    """Move one claim, re-checked under its lock (a heartbeat or a completion may have come since)."""
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("agent")
            .filter(pk=pk, status=S.CLAIMED)
            .first()
        )
        if task is None or task.agent is None:
            return 0
        if dead_only and task.agent.state != Agent.State.DEAD:
            return 0
        beat = task.agent.last_heartbeat_at or task.claimed_at
        if silent_since is not None and beat >= silent_since:
            return 0
        task_transition(task_id=pk, to=to, note=note, actor_label="teardown")
    return 1
