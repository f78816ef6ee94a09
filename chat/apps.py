from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat, memory and agents"

    def ready(self):
        # Registers the questionnaire's inbound SMS handlers (replies, RESUME, HELP).
        from chat.services import questionnaire  # noqa: F401
