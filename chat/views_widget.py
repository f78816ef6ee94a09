"""The chat widget's endpoints, called by chat/static/chat/widget.js on the tenant's own public site.

Visitors are anonymous: their conversation is found through a signed, host-only cookie (see
chat.services.widget). The POST is protected by Django's CSRF check like any form: the widget reads
the token from GET /chat/conversation/ (a same-origin read another site can't make) and sends it in
the X-CSRFToken header.

POST /chat/messages/ saves the visitor's message first (committed on its own), then answers it. With a
model provider configured and `Accept: text/event-stream`, the answer streams as server-sent events:
`saved` (the visitor's message), `delta` ({"text"} pieces as the model writes), then `done` (the saved
answer) or `error` ({"code", "message"}). Otherwise the answer comes whole as JSON
{"visitor": …, "reply": …}. Refusals are JSON {"code", "message", "fields"} with 400 or 429.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, transaction
from django.http import JsonResponse, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET, require_POST

from chat.models import Message
from chat.services import assistant
from chat.services.widget import (
    MAX_PAGE,
    VISITOR_COOKIE_AGE,
    ChatErrorCode,
    conversation_of_visitor,
    conversation_start,
    message_text_clean,
    visitor_cookie_name,
    visitor_cookie_value,
    visitor_from_cookie,
    visitor_message_add,
    visitor_rate_limit,
)
from inkwell.errors import DomainError, RateLimited, error_body
from inkwell.ratelimit import client_address

logger = logging.getLogger(__name__)

ANSWER_FAILED = "Sorry, something went wrong while answering. Your message is saved: please try again."
TRANSCRIPT_LIMIT = 200
MAX_BODY = 32 * 1024  # bytes of a POST body


def message_json(message: Message) -> dict:
    """A message as the widget shows it: text only (it renders it as text, never as HTML)."""
    return {
        "id": message.pk,
        "role": message.role,
        "origin": message.origin,
        "text": message.text,
        "created": message.created.isoformat(),
    }


def _no_store(response):
    response["Cache-Control"] = "private, no-store"
    return response


def _error(exc: DomainError):
    response = JsonResponse(error_body(exc.code, exc.message), status=exc.status_code)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return _no_store(response)


def _visitor(request):
    return visitor_from_cookie(tenant=request.tenant, value=request.COOKIES.get(visitor_cookie_name()))


def _set_visitor_cookie(request, response, visitor: uuid.UUID) -> None:
    response.set_cookie(
        visitor_cookie_name(),
        visitor_cookie_value(tenant=request.tenant, visitor=visitor),
        max_age=VISITOR_COOKIE_AGE,
        path="/",
        secure=settings.SECURE,
        httponly=True,
        samesite="Lax",
    )  # no domain: host-only, so it never reaches another tenant's subdomain


@require_GET
def conversation_view(request):
    """The visitor's transcript (messages after `?after=<id>`, for polling the owner's replies) and the
    CSRF token the widget sends its messages with."""
    conversation = conversation_of_visitor(visitor=_visitor(request))
    messages = []
    if conversation is not None:
        try:
            after = int(request.GET.get("after") or 0)
        except ValueError:
            after = 0
        rows = conversation.messages.filter(pk__gt=after).order_by("-created", "-pk")[:TRANSCRIPT_LIMIT]
        messages = [message_json(m) for m in reversed(rows)]
    body = {"csrf": get_token(request), "messages": messages}
    return _no_store(JsonResponse(body))


def _payload(request) -> dict:
    # A message and its page fit in a few kilobytes (even with every character \u-escaped); anything
    # bigger is refused before it is read, as JSON like every other refusal here.
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY
    except ValueError:
        too_big = True
    if too_big:
        raise DomainError("That message is too long.", code=ChatErrorCode.TOO_LONG)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        data = None
    if not isinstance(data, dict):
        raise DomainError('Send the message as JSON: {"text": …}.', code=ChatErrorCode.BAD_REQUEST)
    return data


@require_POST
def message_post_view(request):
    tenant = request.tenant
    try:
        data = _payload(request)
        text = message_text_clean(data.get("text"))
        page = data.get("page") if isinstance(data.get("page"), str) else ""
        visitor = _visitor(request)
        conversation = conversation_of_visitor(visitor=visitor)
        ip = client_address(request)
        visitor_rate_limit(tenant=tenant, ip=ip, conversation=None)
        with transaction.atomic():  # committed here, before anything answers it
            if conversation is None:
                conversation = conversation_start(tenant=tenant, visitor=uuid.uuid4(), page=page[:MAX_PAGE])
            visitor_rate_limit(tenant=tenant, ip=None, conversation=conversation)
            saved = visitor_message_add(conversation=conversation, text=text)
    except DomainError as exc:
        return _error(exc)

    if settings.LLM_BACKEND != "none" and "text/event-stream" in request.headers.get("Accept", ""):
        stream = _events_async if isinstance(request, ASGIRequest) else _events_sync
        response = StreamingHttpResponse(
            stream(tenant, conversation, saved, respond=partial(_respond, ip=ip)),
            content_type="text/event-stream; charset=utf-8",
        )
        response["X-Accel-Buffering"] = "no"  # a proxy in front must pass the events on as they come
    else:
        try:
            reply = assistant.assistant_respond(conversation=conversation, question=text, ip=ip)
        except Exception:
            logger.exception("The assistant failed on conversation %s", conversation.pk)
            response = JsonResponse(
                {**error_body("answer_failed", ANSWER_FAILED), "visitor": message_json(saved)}, status=503
            )
        else:
            response = JsonResponse({"visitor": message_json(saved), "reply": message_json(reply)})
    _set_visitor_cookie(request, response, conversation.visitor)
    return _no_store(response)


def sse(event: str, data: dict) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _respond(tenant, conversation, saved, on_text, ip=None):
    connection.set_tenant(tenant)  # whichever thread runs it, the answer is written in this tenant
    return assistant.assistant_respond(conversation=conversation, question=saved.text, on_text=on_text, ip=ip)


def _failed(conversation) -> bytes:
    logger.exception("The assistant failed on conversation %s", conversation.pk)
    return sse("error", error_body("answer_failed", ANSWER_FAILED))


def _events_sync(tenant, conversation, saved, respond=None):
    """Under WSGI (the development test server) the answer is worked out in the request's own thread,
    so its pieces go out together once it is done: the same events, not spread out in time."""
    yield sse("saved", message_json(saved))
    respond = respond or _respond
    pieces: list[str] = []
    try:
        reply = respond(tenant, conversation, saved, pieces.append)
    except Exception:
        yield _failed(conversation)
        return
    for piece in pieces:
        yield sse("delta", {"text": piece})
    yield sse("done", message_json(reply))


async def _events_async(tenant, conversation, saved, respond=None):
    """Under ASGI the answer runs in a worker thread and each piece is sent the moment the model
    writes it. A visitor who goes away doesn't stop it: the answer is still saved for their return."""
    respond = respond or _respond
    loop = asyncio.get_running_loop()
    pieces: asyncio.Queue[str] = asyncio.Queue()

    def on_text(text: str) -> None:
        loop.call_soon_threadsafe(pieces.put_nowait, text)

    work = asyncio.ensure_future(sync_to_async(respond)(tenant, conversation, saved, on_text))
    yield sse("saved", message_json(saved))
    while True:
        piece = asyncio.ensure_future(pieces.get())
        await asyncio.wait({piece, work}, return_when=asyncio.FIRST_COMPLETED)
        if piece.done():
            yield sse("delta", {"text": piece.result()})
            continue
        piece.cancel()
        break
    while not pieces.empty():  # pieces queued just before the answer finished
        yield sse("delta", {"text": pieces.get_nowait()})
    try:
        reply = work.result()
    except Exception:
        yield _failed(conversation)
        return
    yield sse("done", message_json(reply))
