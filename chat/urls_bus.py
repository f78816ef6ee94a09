"""/agents/bus/: the agent bus for owners (area "agents": the plan and the owner's toggle apply)."""

from django.urls import path

from chat import views_bus as views

urlpatterns = [
    path("", views.bus_view, name="agent_bus"),
    path("messages/", views.bus_messages_view, name="agent_bus_messages"),
    path("post/", views.bus_post_view, name="agent_bus_post"),
]
