"""urls_agents — filled by the agent-access work."""

urlpatterns: list = []
