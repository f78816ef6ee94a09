"""urls_telegram — filled by the agent-access work."""

urlpatterns: list = []
