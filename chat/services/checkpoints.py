"""Agent checkpoints: an agent's working state (task, summary, open questions, recent messages),
saved in the business memory so the owner can search it, versioned per agent, latest few kept.

Privacy: a checkpoint is read back only by the agent that saved it, or by another agent of the same
business when it was saved as shared; the tenant's schema keeps it from every other business. The
memory entry it leaves is for the owners alone: every other reader of the memory (agents' search,
members, API keys, the assistant answering visitors) leaves the "checkpoint" source out
(chat.selectors.PRIVATE_SOURCES).
"""

from __future__ import annotations

from django.db import transaction

from chat.models import CHECKPOINT_MAX_CHARS, CHECKPOINTS_KEPT, Agent, Checkpoint, MemoryEntry
from chat.services.memory import memory_add
from inkwell.errors import DomainError

CHECKPOINT_TOO_LARGE = "checkpoint_too_large"
CHECKPOINT_NOT_FOUND = "checkpoint_not_found"


def checkpoint_size(*, task: str, summary: str, open_questions: list[str], recent_messages: list[str]) -> int:
    """The characters a checkpoint holds (what CHECKPOINT_MAX_CHARS bounds)."""
    return len(task) + len(summary) + sum(map(len, open_questions)) + sum(map(len, recent_messages))


def _document(checkpoint: Checkpoint) -> str:
    parts = [f"Task: {checkpoint.task or '(none)'}", "Summary:", checkpoint.summary]
    if checkpoint.open_questions:
        parts += ["Open questions:", *(f"- {q}" for q in checkpoint.open_questions)]
    if checkpoint.recent_messages:
        parts += ["Recent messages:", *(f"- {m}" for m in checkpoint.recent_messages)]
    return "\n".join(parts)


def checkpoint_save(
    *,
    agent: Agent,
    task: str,
    summary: str,
    open_questions: list[str],
    recent_messages: list[str],
    shared: bool = False,
) -> Checkpoint:
    """Save the agent's next checkpoint version (and its memory entry) and drop its versions older
    than the latest CHECKPOINTS_KEPT. Past CHECKPOINT_MAX_CHARS in all → checkpoint_too_large."""
    task, summary = task.strip(), summary.strip()
    open_questions = [q.strip() for q in open_questions if q.strip()]
    recent_messages = [m.strip() for m in recent_messages if m.strip()]
    size = checkpoint_size(
        task=task, summary=summary, open_questions=open_questions, recent_messages=recent_messages
    )
    if size > CHECKPOINT_MAX_CHARS:
        raise DomainError(
            f"A checkpoint holds at most {CHECKPOINT_MAX_CHARS} characters in all (task, summary, "
            f"questions and messages); this one has {size}. Summarise it further.",
            code=CHECKPOINT_TOO_LARGE,
        )
    if not summary:
        raise DomainError("Write a summary of where you are.", code="summary_required")
    with transaction.atomic():
        # Serialises one agent's saves, so two of them never pick the same version.
        Agent.objects.select_for_update().filter(pk=agent.pk).first()
        last = agent.checkpoints.order_by("-version").values_list("version", flat=True).first() or 0
        checkpoint = Checkpoint(
            agent=agent,
            version=last + 1,
            task=task,
            summary=summary,
            open_questions=open_questions,
            recent_messages=recent_messages,
            shared=shared,
        )
        entry, _created = memory_add(
            text=_document(checkpoint),
            title=f"Checkpoint of {agent.name}, version {checkpoint.version}",
            source=MemoryEntry.Source.CHECKPOINT,
            tags=["checkpoint", agent.name[:40].lower()],
            actor_label=f"agent {agent.name}",
        )
        checkpoint.memory_entry = entry
        checkpoint.save()
        stale = list(agent.checkpoints.order_by("-version")[CHECKPOINTS_KEPT:])
        MemoryEntry.objects.filter(pk__in=[c.memory_entry_id for c in stale if c.memory_entry_id]).delete()
        Checkpoint.objects.filter(pk__in=[c.pk for c in stale]).delete()
    return checkpoint


def checkpoint_for(*, reader: Agent, owner_name: str | None = None, version: int | None = None) -> Checkpoint:
    """The checkpoint `reader` may restore: its own latest (or `version`), or, with `owner_name`,
    another agent's latest shared one. Anything else is not found (never "exists but not yours")."""
    checkpoints = Checkpoint.objects.select_related("agent")
    if owner_name is None or owner_name == reader.name:
        checkpoints = checkpoints.filter(agent=reader)
    else:
        checkpoints = checkpoints.filter(agent__name=owner_name, shared=True)
    if version is not None:
        checkpoints = checkpoints.filter(version=version)
    checkpoint = checkpoints.order_by("-version").first()
    if checkpoint is None:
        raise DomainError("No such checkpoint for this agent.", code=CHECKPOINT_NOT_FOUND)
    return checkpoint


def checkpoint_latest(*, agent: Agent) -> Checkpoint | None:
    return agent.checkpoints.order_by("-version").first()


def checkpoint_body(checkpoint: Checkpoint) -> dict:
    return {
        "agent": checkpoint.agent.name,
        "version": checkpoint.version,
        "task": checkpoint.task,
        "summary": checkpoint.summary,
        "open_questions": checkpoint.open_questions,
        "recent_messages": checkpoint.recent_messages,
        "shared": checkpoint.shared,
        "memory_entry": checkpoint.memory_entry_id,
        "created": checkpoint.created,
    }
