"""MCP tools of the agent workspace's memory and bus: checkpoints, session start, messages.

The agent is always the calling token's (current()); no argument names who is saving or reading.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from chat.mcp.calls import agent_tool, current
from chat.models import BUS_TEXT_MAX, CHECKPOINT_MAX_CHARS, Agent
from chat.services import bus
from chat.services import checkpoints as service
from chat.services.agents import agent_for_token

MAX_ITEMS = 20


def calling_agent() -> Agent:
    """The Agent of the calling token (made on first use)."""
    return agent_for_token(token=current().token)


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


# --- the agent bus ----------------------------------------------------------------------------------


def _sent(message) -> dict[str, Any]:
    return {"id": message.pk, "to": message.recipient.name if message.recipient else None}


@agent_tool(scopes=("notify",), title="Message another agent", read_only=False)
def send_message(
    to: Annotated[str, Field(min_length=1, max_length=80, description="The other agent's name.")],
    text: Annotated[str, Field(min_length=1, max_length=BUS_TEXT_MAX)],
    reply_to: Annotated[int | None, Field(ge=1, description="The id of the message answered.")] = None,
) -> dict[str, Any]:
    """Send a message to another agent of this business, signed with this agent's name."""
    me = calling_agent()
    message = bus.bus_send(
        sender=me,
        sender_label=f"agent {me.name}",
        to=bus.bus_recipient(name=to),
        text=text,
        reply_to=reply_to,
    )
    return _sent(message)


@agent_tool(scopes=("notify",), title="Message every agent", read_only=False)
def broadcast(text: Annotated[str, Field(min_length=1, max_length=BUS_TEXT_MAX)]) -> dict[str, Any]:
    """Send a message to every other agent of this business, signed with this agent's name."""
    me = calling_agent()
    return _sent(bus.bus_send(sender=me, sender_label=f"agent {me.name}", to=None, text=text))


@agent_tool(scopes=("notify",), title="Read the inbox")
def read_inbox(
    since_cursor: Annotated[
        str | None, Field(max_length=45, description="The next_cursor of the last call; none: all.")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=bus.INBOX_MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """Messages to this agent (from other agents, broadcasts, the owner), oldest first, after
    `since_cursor`, and the cursor to pass next time."""
    messages, next_cursor = bus.inbox_read(agent=calling_agent(), cursor=since_cursor, limit=limit)
    return {"messages": messages, "next_cursor": next_cursor}
