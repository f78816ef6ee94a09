"""Who is calling: the tenant from the request's Host, the agent from its bearer token.

Django's middleware does not run on /mcp (the ASGI router sends it straight to the MCP app), so this
module does what TenantMiddleware and Django's request cycle would: find the tenant by host, set its
schema on the connection, and close connections when done.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import wraps

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.db import connection
from mcp.server.auth.provider import AccessToken

from tenants.models import Domain, Tenant
from tenants.services.agent_tokens import agent_token_authenticate

# The request's host name (no port), set by the ASGI router for the bearer check, which is given the
# token only. Tools read the host from their own request instead (see calls.py).
request_hostname: ContextVar[str] = ContextVar("mcp_request_hostname", default="")


def tenant_for_host(hostname: str) -> Tenant | None:
    """The live tenant `hostname` belongs to (as TenantMiddleware finds it), or None: the public host,
    an unknown, canceled or suspended tenant has no MCP endpoint."""
    from tenants.middleware import TenantMiddleware

    if not hostname or hostname in TenantMiddleware.public_hosts():
        return None
    domain = Domain.objects.select_related("tenant__config").filter(domain=hostname).first()
    if domain is None or domain.tenant.status != Tenant.Status.ACTIVE or domain.tenant.is_public:
        return None
    return domain.tenant


def as_request(fn):
    """Run `fn` as Django runs a view: request_started (old connections closed) before, the public
    schema back and request_finished (connections closed) after."""

    @wraps(fn)
    def run(*args, **kwargs):
        signals.request_started.send(sender=__name__)
        try:
            return fn(*args, **kwargs)
        finally:
            connection.set_schema_to_public()
            signals.request_finished.send(sender=__name__)

    return run


async def in_django_thread(fn, /, **kwargs):
    """Call the sync `fn` (ORM work) from async code on a thread of its own for this call, the way
    Django's ASGI handler runs a sync view."""
    async with ThreadSensitiveContext():
        return await sync_to_async(as_request(fn), thread_sensitive=True)(**kwargs)


def _verify(*, hostname: str, secret: str) -> AccessToken | None:
    connection.set_schema_to_public()
    tenant = tenant_for_host(hostname)
    token = agent_token_authenticate(tenant=tenant, secret=secret) if tenant is not None else None
    if token is None:
        return None
    return AccessToken(
        token=token.prefix,  # never the secret itself: the SDK keeps this object for the request
        client_id=f"agent-token-{token.pk}",
        scopes=list(token.scopes),
        expires_at=int(token.expires_at.timestamp()) if token.expires_at else None,
        # Handed to the tool call this request carries (same process, same request): the host they
        # were found for, so the call can check it is serving that host, without looking them up again.
        claims={"hostname": hostname, "tenant": tenant, "token": token},
    )


class AgentTokenVerifier:
    """The SDK's TokenVerifier: a live agent token of the host's tenant, or None (401). A token of
    another tenant, a revoked, an expired and a made-up one are refused alike."""

    async def verify_token(self, token: str) -> AccessToken | None:
        hostname = request_hostname.get()
        if not hostname:
            return None
        return await in_django_thread(_verify, hostname=hostname, secret=token)
