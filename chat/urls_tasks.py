"""/agents/tasks/: the task board (owners; area "agents": the plan and the owner's toggle apply)."""

from django.urls import path

from chat import views_tasks as views

urlpatterns = [
    path("", views.agent_tasks_view, name="agent_tasks"),
    path("new/", views.agent_task_create_view, name="agent_task_create"),
    path("<int:pk>/reassign/", views.agent_task_reassign_view, name="agent_task_reassign"),
    path("<int:pk>/close/", views.agent_task_close_view, name="agent_task_close"),
]
