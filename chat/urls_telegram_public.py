"""Telegram's webhook, on the public host (/telegram/…)."""

from django.urls import path

from chat.telegram.webhook import telegram_webhook

urlpatterns = [
    path("webhook/", telegram_webhook, name="telegram_webhook"),
]
