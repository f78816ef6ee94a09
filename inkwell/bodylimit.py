"""Refuse oversized request bodies before reading them.

Django's ASGI handler reads a whole request body (into memory, then a temporary file) before any
middleware, form or upload limit runs, so a 50 MB "logo" would be received in full before the
2 MB check said no. This wrapper sits in front of Django: a declared Content-Length over the limit
is answered 413 without reading a byte, and a body sent without one (chunked) is cut off as soon
as it passes the limit. A WSGI server (inkwell/wsgi.py) gets the same limit from WSGIBodySizeLimit.
"""

import json

from inkwell.errors import error_body


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app, *, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # path -> its own limit, for the few pages that take big uploads

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await self._refuse(scope, send, limit)
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope, send, limit: int):
        headers, body = _refusal(scope["path"], limit)
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class WSGIBodySizeLimit:
    """The same limit in front of Django under a WSGI server (inkwell/wsgi.py). There Django reads no
    more than the declared Content-Length (a body sent without one is read as empty), so the
    declared length is all that needs checking."""

    def __init__(self, app, *, max_bytes: int, larger: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        limit = self.larger.get(path, self.max_bytes)
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared.isdigit() and int(declared) > limit:
            headers, body = _refusal(path, limit)
            # No Connection header: WSGI leaves hop-by-hop headers to the server.
            headers = [(k.decode(), v.decode()) for k, v in headers if k != b"connection"]
            start_response("413 Request Entity Too Large", headers)
            return [body]
        return self.app(environ, start_response)


def _refusal(path: str, max_bytes: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The 413 answer's headers and body: the API's error shape under /api/, plain text elsewhere."""
    message = f"The request is too large: send at most {max_bytes / 1024 / 1024:.1f} MB."
    if path.startswith("/api/"):
        content_type = b"application/json"
        body = json.dumps(error_body("request_too_large", message)).encode()
    else:
        content_type, body = b"text/plain; charset=utf-8", message.encode()
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # fmt: skip
    return headers, body
