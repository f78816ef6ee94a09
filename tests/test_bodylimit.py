"""Oversized request bodies are refused (413) before they are read, in front of Django."""

import asyncio
import json
import wsgiref.util

import pytest
from django.conf import settings

from inkwell.bodylimit import BodySizeLimit

LIMIT = 1000


def serve(body_chunks, *, declared: int | None, path="/dashboard/settings/", limit=LIMIT):
    """Run one request through BodySizeLimit around an app that reads the whole body.
    Returns (status, response body, bytes the app read, messages pulled from the client)."""
    pulled = []
    sent = []
    app_read = []

    async def receive():
        index = len(pulled)
        pulled.append(index)
        if index < len(body_chunks):
            return {
                "type": "http.request",
                "body": body_chunks[index],
                "more_body": index < len(body_chunks) - 1,
            }
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def app(scope, receive, send):
        total = 0
        while True:
            message = await receive()
            total += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        app_read.append(total)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    headers = [(b"host", b"alpha.localhost")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    asyncio.run(BodySizeLimit(app, max_bytes=limit)(scope, receive, send))
    return sent[0]["status"], sent[1]["body"], (app_read or [None])[0], len(pulled)


def test_a_body_at_the_limit_reaches_the_app_whole():
    status, body, read, _ = serve([b"x" * LIMIT], declared=LIMIT)
    assert (status, body, read) == (200, b"ok", LIMIT)


def test_a_declared_body_one_past_the_limit_is_refused_unread():
    status, body, read, pulled = serve([b"x" * (LIMIT + 1)], declared=LIMIT + 1)
    assert status == 413 and read is None and pulled == 0
    assert b"at most" in body


@pytest.mark.parametrize("total, status", [(LIMIT, 200), (LIMIT + 1, 413)])
def test_a_chunked_body_is_cut_off_once_past_the_limit(total, status):
    chunk = 100
    chunks = [b"x" * chunk] * (total // chunk) + ([b"x" * (total % chunk)] if total % chunk else [])
    result_status, _, read, pulled = serve(chunks, declared=None)
    assert result_status == status
    if status == 413:
        assert read is None and pulled == len(chunks)  # stopped at the chunk that crossed the limit


def test_api_clients_get_the_error_shape():
    status, body, _, _ = serve([b"{}"], declared=LIMIT + 1, path="/api/v1/config/")
    assert status == 413
    assert json.loads(body)["code"] == "request_too_large" and set(json.loads(body)) == {
        "code",
        "message",
        "fields",
    }


def test_other_connections_pass_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(BodySizeLimit(app, max_bytes=LIMIT)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]


def test_the_served_application_has_the_limit_and_it_fits_a_full_size_logo():
    from inkwell.asgi import application
    from tenants.validators import MAX_LOGO_BYTES

    assert isinstance(application, BodySizeLimit)
    assert application.max_bytes == settings.REQUEST_BODY_MAX_BYTES
    # A 2 MB logo with the settings form around it must still get through to its own check.
    assert MAX_LOGO_BYTES + 64 * 1024 < settings.REQUEST_BODY_MAX_BYTES < 3 * 1024 * 1024


@pytest.mark.parametrize("declared, status", [(LIMIT, "200 OK"), (LIMIT + 1, "413 Request Entity Too Large")])
def test_a_wsgi_server_gets_the_same_limit(declared, status):
    """Under WSGI Django reads no more than the declared length (a body without one is read as
    empty), so the declared length is what must be checked."""
    from inkwell.bodylimit import WSGIBodySizeLimit

    calls, started = [], []

    def app(environ, start_response):
        calls.append(environ["CONTENT_LENGTH"])
        start_response("200 OK", [])
        return [b"ok"]

    environ = {"PATH_INFO": "/api/v1/config/", "CONTENT_LENGTH": str(declared)}
    body = b"".join(WSGIBodySizeLimit(app, max_bytes=LIMIT)(environ, lambda s, h: started.append((s, h))))
    assert started[0][0] == status
    assert calls == ([] if declared > LIMIT else [str(declared)])
    if declared > LIMIT:
        assert json.loads(body)["code"] == "request_too_large"
        assert not any(wsgiref.util.is_hop_by_hop(name) for name, _ in started[0][1])  # WSGI forbids them


def test_the_wsgi_application_has_the_limit():
    from inkwell.bodylimit import WSGIBodySizeLimit
    from inkwell.wsgi import application

    assert isinstance(application, WSGIBodySizeLimit)
    assert application.max_bytes == settings.REQUEST_BODY_MAX_BYTES
    # The verify page takes a 10 MB PDF under WSGI too.
    assert application.larger == settings.REQUEST_BODY_LARGER
