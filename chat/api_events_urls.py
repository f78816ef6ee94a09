"""api_events_urls — filled by the agent-access work."""

urlpatterns: list = []
