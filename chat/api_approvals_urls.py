"""api_approvals_urls — filled by the agent-access work."""

urlpatterns: list = []
