"""urls_telegram_public — filled by the agent-access work."""

urlpatterns: list = []
