"""The agent-access page (/agents/), for owners: make an agent token (shown once, in the answer to
the form's POST only, never stored or put in a URL), see and revoke the tenant's tokens, and read the
agents' recent tool calls. Everything is this tenant's: tokens are looked up by the host's tenant,
calls live in its schema."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from chat.forms_agents import AgentTokenForm
from chat.models import Agent
from chat.selectors_agents import agent_call_names, agent_calls, agents_with_current_task
from chat.services.agents import agent_transition
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
        "agents_list": list(agents_with_current_task()),
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


STATES_PARTIAL = "chat/_agent_states.html"
OWNER_MOVES = {"parked", "warm"}  # what the owner does by hand: set an agent aside, wake it


def _states(request, status: int = 200, **extra):
    context = {"agents_list": list(agents_with_current_task()), **extra}
    return render(request, STATES_PARTIAL, context, status=status)


@require_GET
@member_required(role=OWNER)
def agent_states_view(request):
    """The Agents table alone, polled by the page every 10 s."""
    return _states(request)


@require_POST
@member_required(role=OWNER)
def agent_state_view(request, pk):
    """Park or wake an agent of this tenant (its schema's rows only); a move the lifecycle doesn't
    allow from the agent's state now is a 409 with the table and the reason."""
    agent = get_object_or_404(Agent, pk=pk)
    to = request.POST.get("to", "")
    if to not in OWNER_MOVES:
        return _states(request, status=400, state_notice="Choose to park or to wake the agent.")
    if to == Agent.State.WARM and agent.state != Agent.State.PARKED:
        # Waking is for a parked agent; a dead or idle one comes back by calling in (its heartbeat).
        return _states(
            request, status=409, state_notice=f"{agent.name} isn't parked; it wakes by calling in."
        )
    try:
        agent_transition(agent_id=agent.pk, to=to, reason="by the owner", actor_label=request.user.email)
    except DomainError as exc:
        return _states(request, status=exc.status_code, state_notice=exc.message)
    if request.htmx:
        return _states(request)
    return redirect("agents")
