"""The MCP endpoint, through the official SDK's client over streamable HTTP against inkwell.asgi."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from chat.models import AgentCall
from inkwell.asgi import build_application
from tenants.services.agent_tokens import SCOPES, agent_token_create
from tests.chat import mcp_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def app():
    """The project's ASGI application, as inkwell.asgi builds it (a fresh one: a lifespan runs once)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield build_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_for(world, *, scopes=tuple(SCOPES), name="SEO agent", **extra):
    return agent_token_create(tenant=world.tenant, name=name, scopes=list(scopes), actor=world.owner, **extra)


def test_smoke(app, alpha):
    secret = token_for(alpha).secret

    async def scenario():
        async with mcp_client.running(app):
            async with mcp_client.session(app, alpha.host, secret) as client:
                tools = await client.list_tools()
                result = await client.call_tool("site_info", {})
                return tools, result

    tools, result = mcp_client.run(scenario)
    print([t.name for t in tools.tools])
    print(result)
    assert not result.is_error
    from django.db import connection
    connection.set_tenant(alpha.tenant)
    assert AgentCall.objects.count() == 1
