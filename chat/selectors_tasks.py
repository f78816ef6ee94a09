"""Reads of the task board."""

from __future__ import annotations

from django.db.models import QuerySet

from chat.models import Agent, Task


def task_board(*, status: str = "", agent: Agent | None = None) -> QuerySet[Task]:
    """Tasks not yet archived, newest first, with their agent; optionally one status or one agent's
    (claimed by it or meant for it)."""
    tasks = Task.objects.filter(archived_at__isnull=True).select_related("agent")
    if status:
        tasks = tasks.filter(status=status)
    if agent is not None:
        tasks = tasks.filter(agent=agent)
    return tasks
