"""The agent-access page (/agents/), for owners: make an agent token (shown once, in the answer to
the form's POST only, never stored or put in a URL), see and revoke the tenant's tokens, and read the
agents' recent tool calls. Everything is this tenant's: tokens are looked up by the host's tenant,
calls live in its schema."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from chat.forms_agents import AgentTokenForm
from chat.selectors_agents import agent_call_names, agent_calls
from dashboard.rendering import render_dashboard
from inkwell.errors import DomainError
from tenants.models import Membership
from tenants.permissions import member_required
from tenants.selectors import tenant_url
from tenants.services.agent_tokens import SCOPES, agent_token_create, agent_token_revoke, agent_tokens_of

TEMPLATE = "chat/agents.html"
OWNER = Membership.Role.OWNER
PAGE_SIZE = 25
# Where a refusal of the token service belongs on the form.
ERROR_FIELDS = {
    "name_required": "name",
    "agent_name_taken": "name",
    "unknown_scope": "scopes",
    "no_scopes": "scopes",
    "expiry_past": "expires_on",
    "rate_out_of_range": "rate_per_minute",
}


def mcp_url(request) -> str:
    return tenant_url(request.tenant, "/mcp")


def client_config(*, tenant, url: str, secret: str) -> str:
    """A configuration MCP clients that speak streamable HTTP take as it is (an "mcpServers" entry)."""
    server = {"type": "http", "url": url, "headers": {"Authorization": f"Bearer {secret}"}}
    return json.dumps({"mcpServers": {f"inkwell-{tenant.subdomain}": server}}, indent=2)


def _page(request, status: int = 200, **extra):
    agent = request.GET.get("agent", "").strip()
    tokens = list(agent_tokens_of(tenant=request.tenant).select_related("created_by"))
    calls = Paginator(agent_calls(agent=agent), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": AgentTokenForm(tenant=request.tenant),
        "tokens": tokens,
        "scopes": SCOPES,
        "calls": calls,
        "agent": agent,
        "agent_names": sorted(set(agent_call_names()) | {t.name for t in tokens}, key=str.casefold),
        "mcp_url": mcp_url(request),
        **extra,
    }
    return render_dashboard(request, TEMPLATE, context, status=status)


@require_GET
@member_required(role=OWNER)
def agents_view(request):
    return _page(request)


@require_POST
@member_required(role=OWNER)
def agent_token_create_view(request):
    """Make a token and show it in this answer only (not cached, not in a URL, not in the session)."""
    form = AgentTokenForm(request.POST, tenant=request.tenant)
    if not form.is_valid():
        return _page(request, status=400, form=form)
    data = form.cleaned_data
    try:
        new = agent_token_create(
            tenant=request.tenant,
            name=data["name"],
            scopes=data["scopes"],
            actor=request.user,
            expires_at=form.expires_at(),
            rate_per_minute=data["rate_per_minute"],
        )
    except DomainError as exc:
        form.add_error(ERROR_FIELDS.get(exc.code), exc.message)
        return _page(request, status=400, form=form)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, status=400, form=form)
    url = mcp_url(request)
    response = _page(
        request,
        new=new,
        config=client_config(tenant=request.tenant, url=url, secret=new.secret),
    )
    add_never_cache_headers(response)
    return response


@require_POST
@member_required(role=OWNER)
def agent_token_revoke_view(request, pk):
    # Only this tenant's tokens: another business's token id is a 404, even for an owner of both.
    token = get_object_or_404(agent_tokens_of(tenant=request.tenant), pk=pk)
    agent_token_revoke(token=token, actor=request.user)
    if request.htmx:
        return _page(request, notice=f"The token of “{token.name}” is revoked: it no longer works.")
    return redirect("agents")
