"""MCP tools of the agent workspace's memory: checkpoints and session start.

The agent is always the calling token's (current()); no argument names who is saving or reading.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from chat.mcp.calls import agent_tool, current
from chat.models import CHECKPOINT_MAX_CHARS, Agent
from chat.services import checkpoints as service

MAX_ITEMS = 20


def calling_agent() -> Agent:
    """The Agent of the calling token (made on first use)."""
    token = current().token
    agent, _created = Agent.objects.get_or_create(token_id=token.pk, defaults={"name": token.name})
    return agent


Item = Annotated[str, Field(max_length=CHECKPOINT_MAX_CHARS)]


@agent_tool(scopes=("memory",), title="Save a checkpoint", read_only=False)
def checkpoint_save(
    summary: Annotated[str, Field(min_length=1, description="Where the work stands.")],
    task: Annotated[str, Field(max_length=300, description="The task being worked on.")] = "",
    open_questions: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = [],  # noqa: B006
    recent_messages: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = [],  # noqa: B006
    shared: Annotated[bool, Field(description="Let this business's other agents restore it.")] = False,
) -> dict[str, Any]:
    """Save this agent's working state as its next checkpoint version (the latest 5 are kept), in the
    business memory where the owner can find it. At most 3000 characters in all: past that the error
    code is checkpoint_too_large."""
    checkpoint = service.checkpoint_save(
        agent=calling_agent(),
        task=task,
        summary=summary,
        open_questions=open_questions,
        recent_messages=recent_messages,
        shared=shared,
    )
    return {"version": checkpoint.version, "memory_entry": checkpoint.memory_entry_id}


@agent_tool(scopes=("memory",), title="Restore a checkpoint")
def checkpoint_restore(
    version: Annotated[int | None, Field(ge=1, description="A version; none: the latest.")] = None,
    agent: Annotated[
        str | None, Field(max_length=80, description="Another agent's name: its latest shared checkpoint.")
    ] = None,
) -> dict[str, Any]:
    """This agent's latest checkpoint (or `version`), or another agent's checkpoint it shared."""
    return service.checkpoint_body(
        service.checkpoint_for(reader=calling_agent(), owner_name=agent, version=version)
    )


@agent_tool(scopes=("memory",), title="Start a session")
def session_start(
    stale: Annotated[bool, Field(description="True when the agent's local state is lost or outdated.")],
) -> dict[str, Any]:
    """Begin work: who this agent is, and, when its local state is stale, its latest checkpoint."""
    agent = calling_agent()
    latest = service.checkpoint_latest(agent=agent) if stale else None
    return {
        "agent": agent.name,
        "state": agent.state,
        "checkpoint": service.checkpoint_body(latest) if latest else None,
    }
