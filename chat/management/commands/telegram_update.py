"""Deliver a simulated Telegram update to the bot's webhook and print what the bot answered.

In development the outbox backend sends nothing to Telegram, so this is how a message or a button
press reaches the bot: a POST to the webhook on the public host with the webhook's secret header,
exactly as Telegram sends it; the webhook checks it as usual. The bot's answers are read back from
the outbox (tenants.OutboundMessage, channel telegram).

    manage.py telegram_update --chat 12345 --text "/start <code from /agents/telegram/>"
    manage.py telegram_update --chat 12345 --text "/status"
    manage.py telegram_update --chat 12345 --callback approve:12
"""

import json
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse

from chat.telegram.webhook import SECRET_HEADER
from tenants.models import OutboundMessage


class Command(BaseCommand):
    help = "Post a signed, simulated Telegram update to the webhook and print the bot's replies."

    def add_arguments(self, parser):
        parser.add_argument(
            "--chat", type=int, required=True, help="The chat id (a private chat: the user's id)."
        )
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--text", help='A message, e.g. "/status" or "/start <code>".')
        what.add_argument("--callback", help='A button press, e.g. "approve:12" or "reject:12".')
        parser.add_argument("--message-id", type=int, default=1, help="The message the button was on.")
        parser.add_argument("--update-id", type=int, help="Default: a new one (the clock in milliseconds).")
        parser.add_argument("--name", default="Owner", help="The sender's first name.")
        parser.add_argument(
            "--chat-type",
            default="private",
            choices=["private", "group", "supergroup"],
            help="Default: private.",
        )

    def handle(
        self,
        *args,
        chat: int,
        text,
        callback,
        message_id: int,
        update_id,
        name: str,
        chat_type: str,
        **options,
    ):
        update_id = update_id if update_id is not None else int(time.time() * 1000)
        sender = {"id": chat, "is_bot": False, "first_name": name}
        chat_obj = {"id": chat, "type": chat_type, "first_name": name}
        if text is not None:
            if not text.strip():
                raise CommandError("Give the text of the message.")
            update = {
                "update_id": update_id,
                "message": {
                    "message_id": update_id % 1_000_000,
                    "from": sender,
                    "chat": chat_obj,
                    "date": int(time.time()),
                    "text": text,
                },
            }
        else:
            update = {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": sender,
                    "chat_instance": str(chat),
                    "data": callback,
                    "message": {
                        "message_id": message_id,
                        "chat": chat_obj,
                        "date": int(time.time()),
                        "text": "",
                    },
                },
            }
        last = (
            OutboundMessage.objects.filter(channel=OutboundMessage.Channel.TELEGRAM)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
        )
        path = reverse("telegram_webhook", urlconf=settings.PUBLIC_SCHEMA_URLCONF)
        host = urlsplit(settings.INKWELL_PUBLIC_URL).netloc.split(":")[0]
        response = Client(HTTP_HOST=host).post(
            path,
            json.dumps(update),
            content_type="application/json",
            headers={SECRET_HEADER: settings.TELEGRAM_WEBHOOK_SECRET},
        )
        if response.status_code != 200:
            raise CommandError(f"The webhook refused the update ({response.status_code}).")
        replies = OutboundMessage.objects.filter(
            channel=OutboundMessage.Channel.TELEGRAM, pk__gt=last, to=str(chat)
        ).order_by("pk")
        if not replies:
            self.stdout.write("(no reply)")
        for reply in replies:
            method = reply.headers.get("method", "sendMessage")
            self.stdout.write(f"--- {method} ({reply.status})")
            self.stdout.write(reply.body)
            for row in (reply.headers.get("reply_markup") or {}).get("inline_keyboard", []):
                self.stdout.write("  ".join(f"[{b['text']} → {b.get('callback_data', '')}]" for b in row))
