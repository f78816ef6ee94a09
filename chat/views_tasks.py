"""The owner's task board (/agents/tasks/): what is open, who claimed what, what finished lately;
owners create tasks, hand one to an agent (or take it back), and close one as done or failed. The
same services the agents' MCP tools use, with the owner recorded as the actor."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from chat.forms_tasks import CloseForm, ReassignForm, TaskForm
from chat.models import Task
from chat.selectors_tasks import task_board
from chat.services.tasks import FINISHED, task_create, task_transition
from dashboard.rendering import render_dashboard
from inkwell.errors import DomainError
from tenants.models import Membership
from tenants.permissions import member_required

OWNER = Membership.Role.OWNER
BOARD_LIMIT = 200


def _page(request, *, form=None, error: str = "", status: int = 200):
    context = {
        "tasks": list(task_board()[:BOARD_LIMIT]),
        "finished": FINISHED,
        "form": form or TaskForm(),
        "agents": list(ReassignForm().fields["agent"].queryset),
        "error": error,
    }
    return render_dashboard(request, "chat/tasks.html", context, status=status)


def _actor(request) -> str:
    return f"owner {request.user.email}"


@require_GET
@member_required(role=OWNER)
def agent_tasks_view(request):
    return _page(request)


@require_POST
@member_required(role=OWNER)
def agent_task_create_view(request):
    form = TaskForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        task_create(
            title=data["title"],
            detail=data["detail"],
            lane=data["lane"],
            agent=data["agent"],
            actor_label=_actor(request),
        )
    except DomainError as exc:
        return _page(request, form=form, error=exc.message, status=400)
    messages.success(request, "Task added to the board.")
    return redirect("agent_tasks")


def _move(request, pk: int, *, to: str, agent=None, note: str = "", done: str):
    try:
        task_transition(task_id=pk, to=to, agent=agent, note=note, actor_label=_actor(request))
    except DomainError as exc:
        return _page(request, error=exc.message, status=409 if exc.status_code == 409 else 400)
    messages.success(request, done)
    return redirect("agent_tasks")


@require_POST
@member_required(role=OWNER)
def agent_task_reassign_view(request, pk):
    """Give the task to an agent (it is claimed for it) or, with nobody chosen, put it back open."""
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _page(request, error="Choose one of your agents.", status=400)
    agent = form.cleaned_data["agent"]
    if agent is None:
        return _move(
            request, pk, to=Task.Status.OPEN, note="Taken back by the owner.", done="Task is open again."
        )
    return _move(request, pk, to=Task.Status.CLAIMED, agent=agent, done=f"Task given to {agent.name}.")


@require_POST
@member_required(role=OWNER)
def agent_task_close_view(request, pk):
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _page(request, error="Choose done or failed.", status=400)
    outcome = form.cleaned_data["outcome"]
    return _move(request, pk, to=outcome, note=form.cleaned_data["note"], done=f"Task closed as {outcome}.")
