"""The MCP endpoint, through the official SDK's client over streamable HTTP against the project's ASGI
application (inkwell.asgi): every tool, scopes, plan gating, the rate limit, the call log, and tokens
refused on another tenant's host."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client
from mcp.shared.exceptions import MCPError

from billing.models import Subscription
from chat.models import AgentCall, Approval, MemoryEntry
from chat.services.events import event_emit, events_relay
from chat.services.memory import memory_add
from inkwell.asgi import build_application
from marketing.models import Lead, Page
from tenants.models import OutboundMessage, TelegramLink
from tenants.services.agent_tokens import SCOPES, agent_token_create, agent_token_revoke
from tests.chat import mcp_client

pytestmark = pytest.mark.django_db

EVERY_TOOL = {
    "site_info", "get_dashboard", "get_seo_data", "get_leads", "publish_content", "create_checkout",
    "subscription_status", "send_telegram", "search_memory", "add_memory", "get_events",
    "task_list", "task_claim", "task_update", "task_complete",
    "checkpoint_save", "checkpoint_restore", "session_start", "send_message", "broadcast", "read_inbox",
    "heartbeat", "set_my_state",
}  # fmt: skip


@pytest.fixture
def app():
    """The project's ASGI application as inkwell.asgi builds it (a fresh one per test: an MCP session
    manager runs once). As in Django's test client, the request cycle doesn't close the test's
    connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield build_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_for(world, *, scopes=tuple(SCOPES), name="SEO agent", **extra):
    return agent_token_create(tenant=world.tenant, name=name, scopes=list(scopes), actor=world.owner, **extra)


def in_schema(world):
    connection.set_tenant(world.tenant)


def calls(app, world, secret, *steps):
    """Open a session on `world`'s host and call each (tool, arguments); returns the results."""

    async def scenario():
        async with mcp_client.running(app), mcp_client.session(app, world.host, secret) as client:
            return [await client.call_tool(name, arguments) for name, arguments in steps]

    return mcp_client.run(scenario)


def error_code(result) -> str:
    assert result.is_error, result
    assert result.content[0].text.startswith(result.structured_content["code"] + ":")
    return result.structured_content["code"]


# --- every tool, with its schema -------------------------------------------------------------------


def test_tools_are_listed_with_their_input_schemas(app, alpha):
    secret = token_for(alpha).secret

    async def scenario():
        async with mcp_client.running(app), mcp_client.session(app, alpha.host, secret) as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in mcp_client.run(scenario)}
    assert set(tools) == EVERY_TOOL
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"
    leads = tools["get_leads"].input_schema["properties"]
    assert leads["limit"]["maximum"] == 100 and leads["limit"]["minimum"] == 1
    assert set(tools["publish_content"].input_schema["required"]) == {"slug", "title", "markdown"}
    assert tools["create_checkout"].input_schema["properties"]["plan"]["enum"] == ["seo", "seo-ads", "full"]
    assert tools["site_info"].annotations.read_only_hint is True
    assert tools["publish_content"].annotations.read_only_hint is False


def test_an_agent_uses_every_tool(app, alpha):
    secret = token_for(alpha).secret
    alpha.tenant.plan = "seo-ads"
    alpha.tenant.save(update_fields=["plan"])
    Subscription.objects.create(
        stripe_id="sub_alpha", customer_id="cus_alpha", tenant=alpha.tenant, plan="seo-ads", status="active"
    )
    TelegramLink.objects.create(chat_id=4242, tenant=alpha.tenant, user=alpha.owner, chat_label="owner")
    in_schema(alpha)
    # "full" includes agent access; seo-ads does not: the owner would be refused everything below.
    alpha.tenant.plan = "full"
    alpha.tenant.save(update_fields=["plan"])
    Subscription.objects.filter(stripe_id="sub_alpha").update(plan="full")
    Lead.objects.create(name="Dana Hauler", phone="+14165550123", origin="Toronto", destination="Ottawa")
    Lead.objects.create(name="Old Lost", email="old@example.com", status=Lead.Status.LOST)
    memory_add(
        text="We ship motorcycles in enclosed trailers.", title="Do you ship motorcycles?", source="faq"
    )
    event = event_emit(type="lead.created", data={"lead": 1}, actor_label="test")
    events_relay()  # (the test settings may already have relayed it on the spot)

    steps = [
        ("site_info", {}),
        ("get_dashboard", {}),
        ("get_dashboard", {"start": "2026-01-01", "end": "2026-01-07"}),
        ("get_seo_data", {"dimension": "page", "limit": 5}),
        ("get_leads", {"status": "new"}),
        ("subscription_status", {}),
        ("get_events", {}),
        ("publish_content", {"slug": "moving-ottawa", "title": "Moving to Ottawa", "markdown": "# Ottawa\n\nWe move you."}),
        ("create_checkout", {"plan": "seo"}),
        ("send_telegram", {"text": "Three new leads today."}),
        ("search_memory", {"query": "motorcycles"}),
        ("add_memory", {"text": "Winter moves cost 10% less.", "tags": ["pricing"]}),
    ]  # fmt: skip
    results = calls(app, alpha, secret, *steps)
    in_schema(alpha)
    assert not any(r.is_error for r in results), [r.content[0].text for r in results if r.is_error]
    out = [r.structured_content for r in results]

    site, dashboard, ranged, seo, leads, subscription, events, page, checkout, telegram, found, added = out
    assert site["name"] == "Alpha Movers" and site["domains"] == ["alpha.localhost"]
    assert site["plan"] == {"code": "full", "name": "Full"} and site["features"]["agents"] is True
    assert {c["connector"] for c in site["connectors"]} >= {"gsc", "ga4"}
    assert {"week", "month", "scores", "movers"} <= set(dashboard)
    assert ranged["range"]["current"] == {"start": "2026-01-01", "end": "2026-01-07"}
    assert ranged["range"]["previous"] == {"start": "2025-12-25", "end": "2025-12-31"}
    assert seo["dimension"] == "page" and seo["count"] == 0 and set(seo["movers"]) >= {"rose", "fell"}
    assert [lead["name"] for lead in leads["leads"]] == ["Dana Hauler"] and leads["count"] == 1
    assert subscription["plan"]["code"] == "full" and subscription["subscription"]["status"] == "active"
    assert event.pk in [e["id"] for e in events["events"]] and events["next_cursor"]

    assert page["status"] == "published" and page["url"].endswith("/moving-ottawa/")
    live = Page.objects.get(slug="moving-ottawa")
    assert live.published_revision.author_label == "agent SEO agent" and "We move you." in live.body

    assert checkout["plan"] == "seo" and checkout["url"] == "http://alpha.localhost:8000/billing/"
    assert telegram == {"sent_to": 1}
    message = OutboundMessage.objects.get(channel=OutboundMessage.Channel.TELEGRAM)
    assert message.to == "4242" and "SEO agent" in message.body and "Three new leads today." in message.body

    assert found["results"][0]["title"] == "Do you ship motorcycles?"
    entry = MemoryEntry.objects.get(pk=added["entry"])
    assert added["created"] and entry.source == "agent" and entry.author_label == "agent SEO agent"

    logged = list(AgentCall.objects.order_by("pk"))
    assert [c.tool for c in logged] == [name for name, _ in steps]
    assert {c.outcome for c in logged} == {"ok"} and {c.agent_name for c in logged} == {"SEO agent"}
    canonical = json.dumps({"query": "motorcycles"}, sort_keys=True, separators=(",", ":"))
    assert logged[10].args_digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_next_cursor_gives_no_event_twice(app, alpha):
    secret = token_for(alpha).secret
    in_schema(alpha)
    event_emit(type="lead.created", data={"lead": 7})
    events_relay()

    async def scenario():
        async with mcp_client.running(app), mcp_client.session(app, alpha.host, secret) as client:
            first = (await client.call_tool("get_events", {})).structured_content
            again = await client.call_tool("get_events", {"cursor": first["next_cursor"]})
            return first, again.structured_content

    first, again = mcp_client.run(scenario)
    assert first["events"] and again == {"events": [], "next_cursor": first["next_cursor"]}


# --- writes that wait for the owner ------------------------------------------------------------------


def test_publish_without_the_publish_scope_saves_a_draft_and_asks_the_owner(app, alpha):
    secret = token_for(alpha, scopes=["write_content"]).secret
    (result,) = calls(
        app, alpha, secret, ("publish_content", {"slug": "faq", "title": "FAQ", "markdown": "Ask us."})
    )
    in_schema(alpha)
    assert result.structured_content["status"] == "pending_approval"
    page = Page.objects.get(slug="faq")
    assert page.published_revision is None and page.body == "Ask us."
    approval = Approval.objects.get(pk=result.structured_content["approval"])
    assert (
        approval.kind == "page.publish"
        and approval.agent_name == "SEO agent"
        and approval.status == "pending"
    )


def test_add_memory_replacing_an_entry_asks_the_owner_and_changes_nothing(app, alpha):
    secret = token_for(alpha, scopes=["memory"]).secret
    in_schema(alpha)
    entry, _ = memory_add(text="We close at 5.", title="Hours?", source="faq")
    (result,) = calls(
        app,
        alpha,
        secret,
        ("add_memory", {"text": "We close at 6.", "title": "Hours?", "replaces": entry.pk}),
    )
    in_schema(alpha)
    assert result.structured_content["status"] == "pending_approval"
    entry.refresh_from_db()
    assert entry.text == "We close at 5."
    approval = Approval.objects.get(pk=result.structured_content["approval"])
    assert approval.kind == "memory.change" and approval.payload["text"] == "We close at 6."


# --- refusals ---------------------------------------------------------------------------------------


def _initialize_status(app, host: str, secret: str):
    """The raw HTTP answer to an initialize request: status, body, WWW-Authenticate."""
    body = {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }  # fmt: skip

    async def scenario():
        async with mcp_client.running(app), mcp_client.http_client(app, host, secret=secret) as http:
            response = await http.post(
                "/mcp", json=body, headers={"Accept": "application/json, text/event-stream"}
            )
            return response.status_code, response.content, response.headers.get("www-authenticate")

    return mcp_client.run(scenario)


def test_another_tenants_token_is_refused_like_an_unknown_one(app, alpha, beta):
    betas = token_for(beta).secret
    foreign = _initialize_status(app, alpha.host, betas)
    made_up = _initialize_status(build_application(), alpha.host, "iwa_" + "x" * 43)
    assert foreign[0] == 401 and foreign == made_up
    assert _initialize_status(build_application(), beta.host, betas)[0] == 200  # a live token, at home

    async def scenario():
        refused = []
        try:
            async with mcp_client.running(app2), mcp_client.session(app2, alpha.host, betas):
                pass
        except* MCPError as group:  # the SDK's client: a refused token is an MCPError
            refused.extend(group.exceptions)
        return refused

    app2 = build_application()
    assert mcp_client.run(scenario)


def test_a_revoked_or_expired_token_is_refused(app, alpha):
    from datetime import timedelta

    from django.utils import timezone

    made = token_for(alpha)
    agent_token_revoke(token=made.token, actor=alpha.owner)
    assert _initialize_status(app, alpha.host, made.secret)[0] == 401
    expiring = token_for(alpha, name="Short", expires_at=timezone.now() + timedelta(minutes=5))
    type(expiring.token).objects.filter(pk=expiring.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert _initialize_status(build_application(), alpha.host, expiring.secret)[0] == 401


def test_a_missing_scope_is_a_tool_error_and_is_logged(app, alpha):
    secret = token_for(alpha, scopes=["read"]).secret
    TelegramLink.objects.create(chat_id=4243, tenant=alpha.tenant, user=alpha.owner)
    denied, allowed = calls(app, alpha, secret, ("send_telegram", {"text": "hi"}), ("site_info", {}))
    assert error_code(denied) == "missing_scope" and "notify" in denied.content[0].text
    assert not allowed.is_error
    assert not OutboundMessage.objects.filter(channel=OutboundMessage.Channel.TELEGRAM).exists()
    in_schema(alpha)
    assert list(AgentCall.objects.order_by("pk").values_list("tool", "outcome", "error_code")) == [
        ("send_telegram", "denied", "missing_scope"),
        ("site_info", "ok", ""),
    ]


def test_invalid_arguments_are_a_validation_error(app, alpha):
    secret = token_for(alpha).secret
    bad_limit, bad_type, reserved, bad_cursor = calls(
        app, alpha, secret,
        ("get_leads", {"limit": 0}),
        ("get_dashboard", {"start": "not a date"}),
        ("publish_content", {"slug": "admin", "title": "Admin", "markdown": "x"}),
        ("get_events", {"cursor": "nope"}),
    )  # fmt: skip
    assert error_code(bad_limit) == "invalid_arguments" and set(bad_limit.structured_content["fields"]) == {
        "limit"
    }
    assert error_code(bad_type) == "invalid_arguments" and "start" in bad_type.structured_content["fields"]
    assert (
        error_code(reserved) == "invalid"
        and reserved.structured_content["fields"]["slug"][0]["code"] == "page_slug_reserved"
    )
    assert error_code(bad_cursor) == "invalid_cursor"  # the selector's own rule: a domain error
    in_schema(alpha)
    assert not Page.objects.filter(slug="admin").exists()
    assert [c.outcome for c in AgentCall.objects.order_by("pk")] == ["invalid", "invalid", "invalid", "error"]


def test_a_dashboard_range_in_the_future_is_refused_by_the_apis_own_rule(app, alpha):
    secret = token_for(alpha).secret
    (result,) = calls(app, alpha, secret, ("get_dashboard", {"start": "2099-01-01", "end": "2099-01-02"}))
    assert error_code(result) == "invalid"
    assert result.structured_content["fields"]["end"][0]["code"] == "range_in_future"


def test_domain_errors_carry_their_code(app, alpha):
    secret = token_for(alpha).secret  # alpha has no subscription and no linked Telegram chat
    checkout, telegram = calls(
        app, alpha, secret, ("create_checkout", {"plan": "full"}), ("send_telegram", {"text": "hi"})
    )
    assert error_code(checkout) == "no_subscription"
    assert error_code(telegram) == "telegram_not_linked"
    in_schema(alpha)
    assert set(AgentCall.objects.values_list("outcome", flat=True)) == {"error"}


def test_an_upgrade_link_is_the_owners_billing_page_never_a_portal_session(app, alpha, monkeypatch):
    """A billing-portal session is a bearer link: whoever opens it may cancel the subscription or
    change the card. The dashboard makes one only for a signed-in owner; an agent with `billing`
    gets the billing page, where the owner signs in and opens the portal themself."""
    from billing import gateway

    sessions = []

    def portal_session_create(*, tenant, customer_id):
        sessions.append(customer_id)
        return "https://billing.stripe.com/p/session/live_secret"

    monkeypatch.setattr(gateway, "portal_session_create", portal_session_create)
    Subscription.objects.create(
        stripe_id="sub_alpha", customer_id="cus_alpha", tenant=alpha.tenant, plan="full", status="active"
    )
    secret = token_for(alpha, scopes=["billing"]).secret
    (result,) = calls(app, alpha, secret, ("create_checkout", {"plan": "seo"}))
    assert not result.is_error, result.content[0].text
    assert result.structured_content["url"] == "http://alpha.localhost:8000/billing/"
    assert sessions == []
    page = Client().get("/billing/", HTTP_HOST=alpha.host)
    assert page.status_code == 302 and "/billing/" not in page["Location"].split("?")[0]


def test_rate_limit_at_the_limit_and_one_past_it(app, alpha):
    secret = token_for(alpha, rate_per_minute=3).secret
    results = calls(app, alpha, secret, *[("site_info", {})] * 4)
    assert [r.is_error for r in results] == [False, False, False, True]
    assert error_code(results[3]) == "rate_limited" and results[3].structured_content["retry_after"] == 60
    in_schema(alpha)
    assert [c.outcome for c in AgentCall.objects.order_by("pk")] == ["ok", "ok", "ok", "denied"]


def test_each_token_has_its_own_rate_limit(app, alpha):
    first = token_for(alpha, rate_per_minute=1).secret
    second = token_for(alpha, name="Other agent", rate_per_minute=1).secret
    (one,) = calls(app, alpha, first, ("site_info", {}))
    (two,) = calls(build_application(), alpha, second, ("site_info", {}))
    assert not one.is_error and not two.is_error


def test_a_plan_without_agent_access_is_refused(app, alpha):
    secret = token_for(alpha).secret
    alpha.tenant.plan = "seo"
    alpha.tenant.save(update_fields=["plan"])
    (result,) = calls(app, alpha, secret, ("site_info", {}))
    assert error_code(result) == "plan_upgrade_required" and "Full" in result.content[0].text
    in_schema(alpha)
    assert AgentCall.objects.get().outcome == "denied"


def test_agent_access_switched_off_by_the_owner_is_refused(app, alpha):
    secret = token_for(alpha).secret
    alpha.tenant.config.feature_agents = False
    alpha.tenant.config.save(update_fields=["feature_agents"])
    (result,) = calls(app, alpha, secret, ("get_leads", {}))
    assert error_code(result) == "feature_off"


# --- the router -------------------------------------------------------------------------------------


def _raw(app, host: str, path: str = "/mcp", **headers):
    async def scenario():
        async with mcp_client.running(app), mcp_client.http_client(app, host, headers=headers) as http:
            response = await http.post(path, json={}) if path == "/mcp" else await http.get(path)
            return response.status_code, response.headers.get("content-type", "")

    return mcp_client.run(scenario)


def test_hosts_and_origins_outside_allowed_hosts_are_refused(app, alpha):
    assert _raw(app, "evil.example")[0] == 421
    assert _raw(build_application(), alpha.host, Origin="http://evil.example")[0] == 403
    # An allowed host and origin reach the MCP app, which asks for a token.
    assert _raw(build_application(), alpha.host, Origin=f"http://{alpha.host}:8000")[0] == 401


def test_every_other_path_is_still_django(app, alpha):
    assert _raw(app, alpha.host, "/healthz")[0] == 200
    assert _raw(build_application(), alpha.host, "/mcpx/")[0] == 404  # a path that only starts alike


def test_the_site_api_gives_what_site_info_gives_and_only_to_this_tenants_keys(app, alpha, beta):
    from tenants.services.apikeys import apikey_create

    secret = token_for(alpha).secret
    (result,) = calls(app, alpha, secret, ("site_info", {}))
    key = apikey_create(tenant=alpha.tenant, label="reports", actor=alpha.owner).key
    betas = apikey_create(tenant=beta.tenant, label="reports", actor=beta.owner).key
    answer = Client(HTTP_HOST=alpha.host).get("/api/v1/site/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert answer.status_code == 200 and answer.json() == result.structured_content
    foreign = Client(HTTP_HOST=alpha.host).get("/api/v1/site/", HTTP_AUTHORIZATION=f"Api-Key {betas}")
    assert foreign.status_code == 401


def test_a_call_is_never_served_for_another_host_than_its_bearer_check(alpha, beta):
    """The tenant and token handed from the bearer check to the call belong to the request's Host;
    a call whose Host differs (or that has no checked token) is refused before anything runs."""
    from chat.mcp.calls import TOOLS, run_call
    from chat.mcp.server import build_server

    made = token_for(alpha)
    tool = build_server()._tool_manager.get_tool("site_info")
    claims = {"hostname": alpha.host, "tenant": alpha.tenant, "token": made.token}
    for hostname, given in ((beta.host, claims), (alpha.host, None)):
        result = run_call(spec=TOOLS["site_info"], tool=tool, arguments={}, hostname=hostname, claims=given)
        assert error_code(result) == "invalid_token"
    served = run_call(spec=TOOLS["site_info"], tool=tool, arguments={}, hostname=alpha.host, claims=claims)
    assert served.structured_content["name"] == "Alpha Movers"
    in_schema(alpha)
    assert AgentCall.objects.count() == 1


def test_an_oversized_body_is_refused_before_the_mcp_app_reads_it(app, alpha, settings):
    settings.REQUEST_BODY_MAX_BYTES = 1000  # read at build time: a new app takes it

    async def scenario(application):
        async with mcp_client.running(application), mcp_client.http_client(application, alpha.host) as http:
            small = await http.post(
                "/mcp", content=b"{}" + b" " * 998, headers={"Content-Type": "application/json"}
            )
            large = await http.post(
                "/mcp", content=b"{}" + b" " * 999, headers={"Content-Type": "application/json"}
            )
            return small.status_code, large.status_code

    assert mcp_client.run(scenario, build_application()) == (401, 413)  # at the limit, one past it


def test_a_crash_in_a_tool_is_a_tool_error_without_its_details(app, alpha, monkeypatch):
    import chat.mcp.tools

    def crash(**kwargs):
        raise RuntimeError("password=hunter2")

    monkeypatch.setattr(chat.mcp.tools, "site_info_selector", crash)
    (result,) = calls(app, alpha, token_for(alpha).secret, ("site_info", {}))
    assert error_code(result) == "internal_error" and "hunter2" not in result.content[0].text
    in_schema(alpha)
    assert AgentCall.objects.get().outcome == "error"


def test_a_tool_call_without_an_http_request_is_refused_not_run_ungated(alpha):
    """The gate (token, host, plan, scope, the call log) needs the request; a call that has none
    (the SDK's in-process path) must be refused, never handed to the SDK to run the tool bare."""
    from chat.mcp.server import build_server

    result = mcp_client.run(build_server().call_tool, "get_events", {}, None)
    assert error_code(result) == "invalid_token"
    in_schema(alpha)
    assert not AgentCall.objects.exists()
