"""What the agent-access page reads: the tenant's agents' tool calls (chat.AgentCall, this schema
only), newest first, and its agents with the task each is working on."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from chat.models import Agent, AgentCall, Task


def agent_calls(*, agent: str = "") -> QuerySet[AgentCall]:
    """The tool calls of the current tenant's agents, newest first; of the agent named `agent` only
    when one is given (by name: a token revoked and made again keeps its agent's history together)."""
    calls = AgentCall.objects.order_by("-created", "-pk")
    return calls.filter(agent_name=agent) if agent else calls


def agent_call_names() -> list[str]:
    """Every agent name that has made a call here, for the page's filter."""
    return list(AgentCall.objects.order_by("agent_name").values_list("agent_name", flat=True).distinct())


def agents_with_current_task() -> QuerySet[Agent]:
    """The agents by name, each with `current_task_id`, `current_task_title` and
    `current_task_progress` (its percent, None when not reported): the task it claimed last of those
    it still holds (None when it holds none). One query however many agents there are."""
    claimed = Task.objects.filter(agent=OuterRef("pk"), status=Task.Status.CLAIMED).order_by(
        "-claimed_at", "-pk"
    )
    return Agent.objects.order_by("name").annotate(
        current_task_id=Subquery(claimed.values("pk")[:1]),
        current_task_title=Subquery(claimed.values("title")[:1]),
        current_task_progress=Subquery(claimed.values("progress")[:1]),
    )
