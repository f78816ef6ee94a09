"""The ASGI application: Django for every path but /mcp, which is the MCP endpoint (chat/mcp).

Django's ASGI handler refuses the lifespan protocol, and the MCP app needs it (its session manager
runs inside it), so a small router sends `lifespan` and /mcp to the MCP app and everything else to
Django, all behind the same body-size limit as before.

/mcp gets no Django middleware, so the router does what Django would have done for it: the Host must
be one of ALLOWED_HOSTS (421 otherwise) and a browser's Origin too (403 otherwise). That is the
DNS-rebinding protection: the SDK's own allow-list knows no subdomain wildcards, so it is off.
"""

import json
import os
from urllib.parse import urlsplit

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkwell.settings")
django_app = get_asgi_application()  # sets Django up before anything below imports models

from django.conf import settings  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from inkwell.bodylimit import BodySizeLimit  # noqa: E402
from inkwell.errors import error_body  # noqa: E402

MCP_PATH = "/mcp"


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def host_allowed(host: str | None) -> str | None:
    """The host name of a Host header (or an Origin's netloc) when it is one of ALLOWED_HOSTS."""
    if not host:
        return None
    hostname, _port = split_domain_port(host)
    return hostname if hostname and validate_host(hostname, settings.ALLOWED_HOSTS) else None


async def _refuse(send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Router:
    """`lifespan` and /mcp → the MCP app (a new one for each lifespan: its session manager runs once);
    the rest → Django."""

    def __init__(self, *, django, mcp_factory):
        self.django = django
        self.mcp_factory = mcp_factory
        self.mcp = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            self.mcp = self.mcp_factory()
            return await self.mcp(scope, receive, send)
        if scope["type"] == "http" and (
            scope["path"] == MCP_PATH or scope["path"].startswith(MCP_PATH + "/")
        ):
            return await self.serve_mcp(scope, receive, send)
        return await self.django(scope, receive, send)

    async def serve_mcp(self, scope, receive, send):
        from chat.mcp.auth import request_hostname

        hostname = host_allowed(_header(scope, b"host"))
        if hostname is None:
            return await _refuse(send, 421, "misdirected_request", "This host is not served here.")
        origin = _header(scope, b"origin")
        if origin is not None and host_allowed(urlsplit(origin).netloc) is None:
            return await _refuse(send, 403, "origin_not_allowed", "Requests from this origin are refused.")
        if self.mcp is None:
            return await _refuse(
                send, 503, "mcp_not_running", "The MCP endpoint starts with the server's lifespan."
            )
        reset = request_hostname.set(hostname)
        try:
            return await self.mcp(scope, receive, send)
        finally:
            request_hostname.reset(reset)


def build_application():
    """The whole application: the body-size limit in front of everything (Django and /mcp alike;
    lifespan passes through it), then the router. Tests make their own (a lifespan runs once)."""
    from chat.mcp.server import mcp_app

    return BodySizeLimit(
        Router(django=django_app, mcp_factory=mcp_app),
        max_bytes=settings.REQUEST_BODY_MAX_BYTES,
        larger=settings.REQUEST_BODY_LARGER,
    )


application = build_application()
