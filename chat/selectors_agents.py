"""What the agent-access page reads: the tenant's agents' tool calls (chat.AgentCall, this schema
only), newest first."""

from __future__ import annotations

from django.db.models import QuerySet

from chat.models import AgentCall


def agent_calls(*, agent: str = "") -> QuerySet[AgentCall]:
    """The tool calls of the current tenant's agents, newest first; of the agent named `agent` only
    when one is given (by name: a token revoked and made again keeps its agent's history together)."""
    calls = AgentCall.objects.order_by("-created", "-pk")
    return calls.filter(agent_name=agent) if agent else calls


def agent_call_names() -> list[str]:
    """Every agent name that has made a call here, for the page's filter."""
    return list(AgentCall.objects.order_by("agent_name").values_list("agent_name", flat=True).distinct())
