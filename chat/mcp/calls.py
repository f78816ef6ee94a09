"""What every MCP tool call goes through, in one place the tools cannot skip.

A call runs on a thread of its own (auth.in_django_thread). In order: the call's Host must be the one
the bearer check of the same HTTP request found the tenant (by that Host) and the live token (in that
tenant only) for; the per-token rate limit counts the call; the plan must include agent access and
the owner's toggle must be on; the token must hold one of the tool's scopes; the arguments must fit
the tool's input schema. Only then does the tool run, with the tenant's schema set and the agent's identity at
hand (`current()`). Whatever happens, one AgentCall row records agent, tool, arguments digest,
duration and outcome. Refusals and domain errors come back as tool errors (`is_error`) carrying a
stable `code` in their text and structured content, never as a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import pydantic
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from django.http import Http404
from mcp_types import CallToolResult, TextContent

from billing.error_codes import BillingErrorCode
from billing.plans import cheapest_plan_with, plan_allows
from chat.models import AgentCall
from contracts.models import ContractEvent
from contracts.services.events import Actor
from inkwell.errors import FIELDS_INVALID, NON_FIELD_KEY, DomainError, RateLimited
from inkwell.ratelimit import rate_limit
from tenants.models import AgentToken, Tenant
from tenants.services.agent_tokens import AgentIdentity

logger = logging.getLogger(__name__)

Outcome = AgentCall.Outcome
RATE_WINDOW = 60  # AgentToken.rate_per_minute


@dataclass(frozen=True)
class ToolSpec:
    name: str
    fn: Callable
    scopes: tuple[str, ...]  # the token needs one of these
    title: str
    read_only: bool


TOOLS: dict[str, ToolSpec] = {}


def agent_tool(*, scopes: tuple[str, ...], title: str, read_only: bool = True):
    """Register a sync function as an MCP tool needing one of `scopes`. Its typed parameters are the
    input schema; its docstring is the description the agent reads."""

    def register(fn):
        TOOLS[fn.__name__] = ToolSpec(
            name=fn.__name__, fn=fn, scopes=scopes, title=title, read_only=read_only
        )
        return fn

    return register


@dataclass(frozen=True)
class AgentCallContext:
    """The call being served: the host's tenant and the agent whose token made it."""

    tenant: Tenant
    token: AgentToken
    agent: AgentIdentity

    @property
    def actor(self) -> Actor:
        """The agent as contracts/marketing services record who did something."""
        return Actor(type=ContractEvent.Actor.API, label=self.agent.label)

    def has_scope(self, scope: str) -> bool:
        return scope in self.token.scopes


_current: ContextVar[AgentCallContext] = ContextVar("mcp_agent_call")


def current() -> AgentCallContext:
    """The call a tool is serving (set only while a tool runs)."""
    return _current.get()


class Refused(Exception):
    """A call that ends before or inside the tool with a stable code: outcome, code, message, fields."""

    def __init__(self, outcome: str, code: str, message: str, *, fields: dict | None = None, extra=None):
        super().__init__(message)
        self.outcome, self.code, self.message = outcome, str(code), message
        self.fields = fields or {}
        self.extra = extra or {}


def args_digest(arguments: dict) -> str:
    canonical = json.dumps(arguments, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def error_result(refusal: Refused) -> CallToolResult:
    body = {"code": refusal.code, "message": refusal.message, "fields": refusal.fields, **refusal.extra}
    text = f"{refusal.code}: {refusal.message}"
    if refusal.fields:
        text += " " + "; ".join(
            f"{name}: {' '.join(e['message'] for e in errors)}" for name, errors in refusal.fields.items()
        )
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=body, is_error=True
    )


def _pydantic_fields(exc: pydantic.ValidationError) -> dict[str, list[dict]]:
    fields: dict[str, list[dict]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in error["loc"]) or NON_FIELD_KEY
        fields.setdefault(name, []).append({"code": error["type"], "message": error["msg"]})
    return fields


def _django_fields(exc: DjangoValidationError) -> dict[str, list[dict]]:
    if not hasattr(exc, "error_dict"):
        return {
            NON_FIELD_KEY: [{"code": e.code or "invalid", "message": m} for e in exc.error_list for m in e]
        }
    return {
        (NON_FIELD_KEY if name == "__all__" else name): [
            {"code": e.code or "invalid", "message": m} for e in errors for m in e
        ]
        for name, errors in exc.error_dict.items()
    }


def _gate(call: AgentCallContext, spec: ToolSpec) -> None:
    token, tenant = call.token, call.tenant
    try:
        rate_limit(
            scope="mcp-agent",
            key=str(token.pk),
            limit=token.rate_per_minute,
            window=RATE_WINDOW,
            message=f"This agent may make {token.rate_per_minute} tool calls a minute; wait a little.",
        )
    except RateLimited as exc:
        raise Refused(Outcome.DENIED, exc.code, exc.message, extra={"retry_after": exc.retry_after}) from None
    if not plan_allows(tenant=tenant, feature="agents"):
        plan = cheapest_plan_with("agents")
        raise Refused(
            Outcome.DENIED,
            BillingErrorCode.PLAN_UPGRADE_REQUIRED,
            "Agent access is not part of this business's plan."
            + (f" The owner can upgrade to {plan.name} to use it." if plan else ""),
        )
    if not tenant.config.feature_agents:
        raise Refused(Outcome.DENIED, "feature_off", "The owner has switched agent access off.")
    if not any(call.has_scope(scope) for scope in spec.scopes):
        raise Refused(
            Outcome.DENIED,
            "missing_scope",
            f"This agent's token lacks the scope {' or '.join(spec.scopes)} that {spec.name} needs; "
            "the owner can make a token with it.",
        )


def _invoke(call: AgentCallContext, spec: ToolSpec, tool, arguments: dict) -> CallToolResult:
    _gate(call, spec)
    try:
        kwargs = tool.fn_metadata.validate_arguments(arguments)
    except pydantic.ValidationError as exc:
        raise Refused(
            Outcome.INVALID, "invalid_arguments", FIELDS_INVALID, fields=_pydantic_fields(exc)
        ) from None
    reset = _current.set(call)
    try:
        value = spec.fn(**kwargs)
    except DomainError as exc:
        extra = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited) else {}
        raise Refused(Outcome.ERROR, exc.code, exc.message, extra=extra) from None
    except DjangoValidationError as exc:  # a service's own field rules (a reserved slug, a long title)
        raise Refused(Outcome.INVALID, "invalid", FIELDS_INVALID, fields=_django_fields(exc)) from None
    except Http404:
        raise Refused(Outcome.ERROR, "not_found", "No such object here.") from None
    finally:
        _current.reset(reset)
    return tool.fn_metadata.convert_result(value)


def _heartbeat(*, token: AgentToken, tool: str) -> None:
    """Every authenticated call is a heartbeat of the token's agent; its failure never fails the call."""
    from chat.services.agents import agent_for_token, agent_heartbeat

    try:
        agent_heartbeat(agent=agent_for_token(token=token), tool=tool)
    except Exception:
        logger.exception("Heartbeat of %s failed", token.name)


def run_call(*, spec: ToolSpec, tool, arguments: dict, hostname: str, claims: dict | None) -> CallToolResult:
    """Serve one tool call (sync, on the call's own thread; see the module's docstring)."""
    started = time.monotonic()
    # The bearer check of this very HTTP request found the tenant by this request's Host and the
    # token in that tenant only (auth._verify); a call is never served for another host than that.
    claims = claims or {}
    tenant, token = claims.get("tenant"), claims.get("token")
    if not hostname or claims.get("hostname") != hostname or tenant is None or token is None:
        return error_result(Refused(Outcome.DENIED, "invalid_token", "Unknown, revoked or expired token."))
    call = AgentCallContext(tenant=tenant, token=token, agent=AgentIdentity.of(token))
    connection.set_tenant(tenant)
    _heartbeat(token=token, tool=spec.name)
    outcome, code = Outcome.OK, ""
    try:
        result = _invoke(call, spec, tool, arguments)
    except Refused as refusal:
        outcome, code = refusal.outcome, refusal.code
        result = error_result(refusal)
    except Exception:
        logger.exception("MCP tool %s failed for %s", spec.name, call.agent.label)
        outcome, code = Outcome.ERROR, "internal_error"
        result = error_result(Refused(outcome, code, "Something went wrong on our side; try again later."))
    AgentCall.objects.create(
        token_id=token.pk,
        agent_name=token.name,
        tool=spec.name,
        args_digest=args_digest(arguments),
        duration_ms=round((time.monotonic() - started) * 1000),
        outcome=outcome,
        error_code=code[:60],
    )
    return result
