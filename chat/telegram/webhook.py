"""Telegram's webhook on the public host: POST /telegram/webhook/.

Telegram sends the secret given to setWebhook (`secret_token`) in X-Telegram-Bot-Api-Secret-Token;
anything without it, or with another, is refused (403) before the body is read. A body over
MAX_BODY is refused (413); a body that is not an update is refused (400). Telegram redelivers an
update until it gets a 2xx, so each update_id is recorded (TelegramUpdate) in the same transaction as
the answer: a redelivered update finds its row and is answered 200 with nothing done, and an update
whose handling crashed is still recorded (the error is logged) so it is not redelivered forever.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat.telegram.updates import update_handle
from tenants.models import TelegramUpdate

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 256 * 1024  # an update is a few kilobytes; a message's text is at most 4,096 characters


def secret_matches(given: str) -> bool:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def telegram_webhook(request):
    if not secret_matches(request.headers.get(SECRET_HEADER, "")):
        logger.warning("Refused a Telegram update without the webhook secret")
        return HttpResponseForbidden("Invalid secret token.")
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > MAX_BODY:
        return HttpResponse("Too large.", status=413)
    body = request.body
    if len(body) > MAX_BODY:
        return HttpResponse("Too large.", status=413)
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest("Not JSON.")
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        return HttpResponseBadRequest("Not an update.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                TelegramUpdate.objects.create(update_id=update_id)
        except IntegrityError:
            return HttpResponse(status=200)  # seen already: answered the first time
        try:
            with transaction.atomic():
                update_handle(update)
        except Exception:
            logger.exception("Telegram update %s could not be handled", update_id)
    return HttpResponse(status=200)
