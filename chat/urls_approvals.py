"""urls_approvals — filled by the agent-access work."""

urlpatterns: list = []
