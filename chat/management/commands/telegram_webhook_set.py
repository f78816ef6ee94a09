"""Point the deployment's Telegram bot at this deployment: setWebhook with the webhook's secret, and
setMyCommands so Telegram's menu offers the bot's commands.

    manage.py telegram_webhook_set                  # <INKWELL_PUBLIC_URL>/telegram/webhook/
    manage.py telegram_webhook_set --url https://inkwell.example.com/telegram/webhook/
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from chat.telegram.send import TelegramError, bot_api

COMMANDS = [
    {"command": "status", "description": "Plan, subscription, data fetches, approvals waiting"},
    {"command": "report", "description": "This week against the week before"},
    {"command": "leads", "description": "The latest leads"},
    {"command": "approve", "description": "What your agents propose"},
    {"command": "help", "description": "What I can do"},
]


class Command(BaseCommand):
    help = "Register this deployment's webhook (with its secret) and commands with the Telegram bot."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="The webhook's public https URL (default: on INKWELL_PUBLIC_URL).")

    def handle(self, *args, url: str | None, **options):
        if not settings.TELEGRAM_BOT_TOKEN:
            raise CommandError("Set TELEGRAM_BOT_TOKEN (from @BotFather) first.")
        url = url or settings.INKWELL_PUBLIC_URL + reverse(
            "telegram_webhook", urlconf=settings.PUBLIC_SCHEMA_URLCONF
        )
        if not url.startswith("https://"):
            raise CommandError(f"Telegram only calls https URLs; {url} is not one (give --url).")
        try:
            bot_api(
                "setWebhook",
                {
                    "url": url,
                    "secret_token": settings.TELEGRAM_WEBHOOK_SECRET,
                    "allowed_updates": ["message", "callback_query"],
                },
            )
            bot_api("setMyCommands", {"commands": COMMANDS})
        except TelegramError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
        self.stdout.write(f"Telegram now delivers updates to {url}")
