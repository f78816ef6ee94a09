from django.urls import path

from chat import views_agents as views

urlpatterns = [
    path("", views.agents_view, name="agents"),
    path("states/", views.agent_states_view, name="agent_states"),
    path("<int:pk>/state/", views.agent_state_view, name="agent_state"),
    path("tokens/", views.agent_token_create_view, name="agent_token_create"),
    path("tokens/<int:pk>/revoke/", views.agent_token_revoke_view, name="agent_token_revoke"),
]
