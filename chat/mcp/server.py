"""The MCP server and the Starlette app mounted at /mcp (see inkwell/asgi.py).

Stateless streamable HTTP with JSON answers: every POST is complete in itself (the bearer token is
checked and the tenant found on each), so any web process can answer any request and nothing about
a client lives in one process's memory. The SDK's stateful sessions would need sticky routing to the
process that made them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http.request import split_domain_port
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, ToolAnnotations

from chat.mcp import tools, tools_lifecycle, tools_memorybus, tools_tasks  # noqa: F401  (registers the tools)
from chat.mcp.auth import AgentTokenVerifier, in_django_thread
from chat.mcp.calls import TOOLS, Outcome, Refused, error_result, run_call
from tenants.selectors import public_url

MCP_PATH = "/mcp"
INSTRUCTIONS = (
    "Tools for one Inkwell business (the host you connected to). Each call is recorded with your "
    "agent's name. Errors carry a stable code: missing_scope, plan_upgrade_required, rate_limited, "
    "invalid_arguments and the services' own codes. publish_content without the publish scope saves a "
    "draft and asks the owner to approve it; add_memory with `replaces` asks the owner too."
)


class InkwellMCP(MCPServer):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> CallToolResult:
        spec, tool = TOOLS.get(name), self._tool_manager.get_tool(name)
        request = context.request_context.request if context is not None else None
        if spec is None or tool is None:
            return await super().call_tool(name, arguments, context)  # the SDK's "unknown tool" error
        if request is None:  # no Host, no bearer check: never run a tool past the gate
            return error_result(
                Refused(Outcome.DENIED, "invalid_token", "Unknown, revoked or expired token.")
            )
        user = request.scope.get("user")
        access = getattr(user, "access_token", None)
        hostname, _port = split_domain_port(request.headers.get("host", ""))
        return await in_django_thread(
            run_call,
            spec=spec,
            tool=tool,
            arguments=arguments,
            hostname=hostname,
            claims=access.claims if access is not None else None,
        )


def build_server() -> InkwellMCP:
    server = InkwellMCP(
        name="inkwell",
        title="Inkwell",
        instructions=INSTRUCTIONS,
        token_verifier=AgentTokenVerifier(),
        auth=AuthSettings(issuer_url=public_url("/"), resource_server_url=None),
        log_level="WARNING",
    )
    for spec in TOOLS.values():
        server.add_tool(
            spec.fn,
            name=spec.name,
            title=spec.title,
            annotations=ToolAnnotations(
                title=spec.title, read_only_hint=spec.read_only, destructive_hint=False, open_world_hint=False
            ),
            meta={"inkwell/scopes": list(spec.scopes)},
        )
    return server


_server: InkwellMCP | None = None


def mcp_app():
    """A new Starlette app for /mcp, its session manager to be run by the ASGI lifespan (once per
    app: the router makes a new one for every lifespan). DNS-rebinding protection is the router's:
    the SDK's allow-list has no subdomain wildcard."""
    global _server
    if _server is None:
        _server = build_server()
    return _server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=settings.REQUEST_BODY_MAX_BYTES,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )
