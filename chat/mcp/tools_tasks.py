"""The task board's MCP tools: list, claim, update, complete. Thin adapters over chat.services.tasks;
the acting agent is always the calling token's Agent, never one named in the arguments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from chat.mcp.calls import agent_tool
from chat.mcp.tools_memorybus import calling_agent
from chat.models import Task
from chat.selectors_tasks import task_board
from chat.services.tasks import task_claim as claim
from chat.services.tasks import task_transition
from chat.services.tasks import task_update as update

TaskId = Annotated[int, Field(ge=1, description="The task's id, from task_list.")]
Note = Annotated[str, Field(max_length=500)]


def task_dict(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "title": task.title,
        "detail": task.detail,
        "lane": task.lane,
        "status": task.status,
        "agent": task.agent.name if task.agent else None,
        "progress": task.progress,
        "note": task.note,
        "claimed_at": task.claimed_at,
        "finished_at": task.finished_at,
        "created": task.created,
    }


@agent_tool(scopes=("tasks",), title="Task board")
def task_list(
    status: Literal[tuple(Task.Status.values)] | None = None,
    mine: Annotated[bool, Field(description="Only tasks claimed by or meant for you.")] = False,
    limit: Annotated[int, Field(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    """The tasks on the board (not archived), newest first: open ones you may claim, claimed ones and
    who has them, recently finished ones."""
    tasks = task_board(status=status or "", agent=calling_agent() if mine else None)
    return {"tasks": [task_dict(t) for t in tasks[:limit]]}


@agent_tool(scopes=("tasks",), title="Claim a task", read_only=False)
def task_claim(task_id: TaskId) -> dict[str, Any]:
    """Take an open task. Exclusive: if another agent claimed it first you get the error task_taken."""
    return task_dict(claim(task_id=task_id, agent=calling_agent()))


@agent_tool(scopes=("tasks",), title="Report progress on a task", read_only=False)
def task_update(
    task_id: TaskId,
    note: Note = "",
    progress: Annotated[int | None, Field(ge=0, le=100, description="Percent done.")] = None,
    release: Annotated[bool, Field(description="Give the task back for another agent.")] = False,
) -> dict[str, Any]:
    """Report on a task you claimed (a note, a percent), or release it for another agent."""
    agent = calling_agent()
    if release:
        task = task_transition(
            task_id=task_id,
            to=Task.Status.RELEASED,
            note=note,
            actor_label=f"agent {agent.name}",
            expect_agent=agent,
        )
    else:
        task = update(task_id=task_id, agent=agent, note=note, progress=progress)
    return task_dict(task)


@agent_tool(scopes=("tasks",), title="Finish a task", read_only=False)
def task_complete(
    task_id: TaskId,
    outcome: Annotated[
        Literal["done", "failed"], Field(description="done, or failed (say why in note).")
    ] = "done",
    note: Note = "",
) -> dict[str, Any]:
    """Finish a task you claimed, as done or failed, with a note on what came of it."""
    agent = calling_agent()
    task = task_transition(
        task_id=task_id, to=outcome, note=note, actor_label=f"agent {agent.name}", expect_agent=agent
    )
    return task_dict(task)
