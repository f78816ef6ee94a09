"""MCP tools of the agent lifecycle: report progress (a heartbeat) and park or wake oneself.

Any token may call them (every scope grants them): they only touch the calling agent's own record,
found by its token (`calling_agent`, as every workspace tool finds it), never by anything in the
arguments.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from chat.mcp.calls import agent_tool, current
from chat.mcp.tools_memorybus import calling_agent
from chat.services.agents import HEARTBEAT_NOTE_MAX, agent_heartbeat, agent_transition
from tenants.services.agent_tokens import SCOPES

ANY_SCOPE = tuple(SCOPES)


def _state(agent) -> dict[str, Any]:
    return {
        "name": agent.name,
        "state": agent.state,
        "state_changed_at": agent.state_changed_at.isoformat(),
        "last_heartbeat_at": agent.last_heartbeat_at.isoformat() if agent.last_heartbeat_at else None,
        "note": agent.last_heartbeat_note,
        "progress": agent.last_progress,
    }


@agent_tool(scopes=ANY_SCOPE, title="Heartbeat: report progress")
def heartbeat(
    note: Annotated[str, Field(max_length=HEARTBEAT_NOTE_MAX, description="What you are doing now.")] = "",
    progress: Annotated[int | None, Field(ge=0, le=100, description="Percent done, 0–100.")] = None,
) -> dict[str, Any]:
    """Tell the owner you are alive during long work, with a short note and a percentage. Every tool
    call already counts as a heartbeat; call this one when you work for minutes without calling tools,
    so a long job isn't mistaken for a hang. Returns your state as the owner sees it."""
    return _state(agent_heartbeat(agent=calling_agent(), tool="heartbeat", note=note, progress=progress))


@agent_tool(scopes=ANY_SCOPE, title="Park or wake yourself", read_only=False)
def set_my_state(
    state: Annotated[Literal["parked", "warm"], Field(description="parked: set aside; warm: ready.")],
    reason: Annotated[str, Field(max_length=200, description="Why, shown to the owner.")] = "",
) -> dict[str, Any]:
    """Park yourself (set aside: no alerts, no idling) or wake up again (warm). A move the lifecycle
    doesn't allow from your current state is refused with code illegal_agent_transition."""
    call = current()
    agent = agent_transition(
        agent_id=calling_agent().pk,
        to=state,
        reason=reason.strip() or "by itself",
        actor_label=call.agent.label,
    )
    return _state(agent)
