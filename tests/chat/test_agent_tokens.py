"""Agent tokens: made by an owner on /agents/ (shown once), stored as a digest, revoked at once,
expiring, valid on their own tenant's host only; the agents' tool calls on the same page."""

import hashlib
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.services.subscriptions import plan_change_apply
from chat.models import AgentCall
from inkwell.errors import Conflict, DomainError
from tenants.models import AgentToken, AuditEvent, Membership, TenantConfig
from tenants.services.agent_tokens import (
    RATE_PER_MINUTE_MAX,
    agent_token_authenticate,
    agent_token_create,
    agent_token_revoke,
)
from tests.conftest import client_for

SECRET = re.compile(r"iwa_[A-Za-z0-9_-]{43}")


def make(world, name="SEO agent", scopes=("read",), **kwargs):
    return agent_token_create(
        tenant=world.tenant, name=name, scopes=list(scopes), actor=world.owner, **kwargs
    )


def form(name="SEO agent", scopes=("read", "write_content"), **extra):
    return {"name": name, "scopes": list(scopes), "rate_per_minute": "60", **extra}


def owner_of_both(alpha, beta):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    return alpha.owner


def call(token, tool="site_info", outcome="ok", **extra):
    return AgentCall.objects.create(
        token_id=token.pk,
        agent_name=token.name,
        tool=tool,
        args_digest="0" * 64,
        duration_ms=12,
        outcome=outcome,
        **extra,
    )


# --- the service --------------------------------------------------------------------------------------


def test_only_the_digest_is_stored_and_the_token_authenticates(alpha):
    new = make(alpha, scopes=["memory", "read"])
    assert SECRET.fullmatch(new.secret)
    stored = AgentToken.objects.get(pk=new.token.pk)
    assert stored.digest == hashlib.sha256(new.secret.encode()).hexdigest()
    assert stored.scopes == ["read", "memory"] and stored.created_by == alpha.owner
    row = {f.name: str(getattr(stored, f.name)) for f in AgentToken._meta.fields}
    assert not any(new.secret in value for value in row.values())
    audit = AuditEvent.objects.get(action="agent_token.created")
    assert audit.data["name"] == "SEO agent" and new.secret not in str(audit.data)
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) == stored


@pytest.mark.parametrize("secret", ["", "iwa_made-up", "x" * 101])
def test_unknown_tokens_authenticate_as_no_one(alpha, secret):
    make(alpha)
    assert agent_token_authenticate(tenant=alpha.tenant, secret=secret) is None


def test_revoking_stops_the_token_at_once(alpha):
    new = make(alpha)
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is not None
    agent_token_revoke(token=new.token, actor=alpha.owner)
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is None
    assert AuditEvent.objects.filter(action="agent_token.revoked").count() == 1
    agent_token_revoke(token=new.token, actor=alpha.owner)  # twice changes nothing
    assert AuditEvent.objects.filter(action="agent_token.revoked").count() == 1


def test_the_token_works_until_its_expiry_and_not_at_it(alpha):
    expiry = timezone.now() + timedelta(days=1)
    new = make(alpha, expires_at=expiry)
    with time_machine.travel(expiry - timedelta(microseconds=1), tick=False):
        assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is not None
    with time_machine.travel(expiry, tick=False):
        assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is None


def test_an_expiry_in_the_past_is_refused(alpha):
    with pytest.raises(DomainError) as refused:
        make(alpha, expires_at=timezone.now())
    assert refused.value.code == "expiry_past" and not AgentToken.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(alpha):
    new = make(alpha)
    start = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("UTC"))

    def used_at(moment):
        with time_machine.travel(moment, tick=False):
            agent_token_authenticate(tenant=alpha.tenant, secret=new.secret)
        return AgentToken.objects.get(pk=new.token.pk).last_used_at

    assert used_at(start) == start
    assert used_at(start + timedelta(seconds=59)) == start  # within the minute: no write
    assert used_at(start + timedelta(seconds=60)) == start + timedelta(seconds=60)


def test_another_tenants_token_is_as_unknown_as_a_made_up_one(alpha, beta):
    new = make(alpha)
    assert agent_token_authenticate(tenant=beta.tenant, secret=new.secret) is None
    assert AgentToken.objects.get(pk=new.token.pk).last_used_at is None  # nor marked as used
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is not None


def test_one_live_token_per_agent_name(alpha, beta):
    first = make(alpha, name="SEO agent")
    with pytest.raises(Conflict) as taken:
        make(alpha, name="seo AGENT ")
    assert taken.value.code == "agent_name_taken"
    make(beta, name="SEO agent")  # another business's agent of the same name is another agent
    agent_token_revoke(token=first.token, actor=alpha.owner)
    assert make(alpha, name="SEO agent").token.name == "SEO agent"  # the name is free again


@pytest.mark.parametrize(
    "rate, allowed", [(0, False), (1, True), (RATE_PER_MINUTE_MAX, True), (RATE_PER_MINUTE_MAX + 1, False)]
)
def test_the_rate_is_bounded(alpha, rate, allowed):
    if allowed:
        assert make(alpha, rate_per_minute=rate).token.rate_per_minute == rate
    else:
        with pytest.raises(DomainError) as refused:
            make(alpha, rate_per_minute=rate)
        assert refused.value.code == "rate_out_of_range"


@override_settings(AGENT_TOKEN_RATE_PER_MINUTE=45)
def test_the_default_rate_comes_from_settings(alpha):
    assert make(alpha).token.rate_per_minute == 45


@pytest.mark.parametrize(
    "scopes, code", [(["read", "root"], "unknown_scope"), ([], "no_scopes"), ([" "], "no_scopes")]
)
def test_scopes_must_be_known_and_given(alpha, scopes, code):
    with pytest.raises(DomainError) as refused:
        make(alpha, scopes=scopes)
    assert refused.value.code == code and not AgentToken.objects.exists()


# --- the page -----------------------------------------------------------------------------------------


def test_the_token_is_shown_once_with_the_mcp_url_and_a_client_configuration(alpha):
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post("/agents/tokens/", form())
    assert response.status_code == 200 and "Location" not in response
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    secret = SECRET.search(html).group()
    assert "http://alpha.localhost:8000/mcp" in html
    assert "&quot;mcpServers&quot;" in html and f"Bearer {secret}" in html
    assert "shown only this once" in html
    token = agent_token_authenticate(tenant=alpha.tenant, secret=secret)
    assert (
        token.name == "SEO agent"
        and token.scopes == ["read", "write_content"]
        and token.rate_per_minute == 60
    )
    again = owner.get("/agents/").content.decode()
    assert "SEO agent" in again and secret not in again and not SECRET.search(again)
    assert token.prefix in again  # the list tells tokens apart by their first characters


def test_htmx_gets_the_page_body_with_the_token(alpha):
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post("/agents/tokens/", form(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dash-body")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and SECRET.search(html)
    assert "no-store" in response["Cache-Control"]


def test_a_second_live_token_of_the_same_name_is_a_form_error(alpha):
    owner = client_for(alpha, user=alpha.owner)
    make(alpha, name="SEO agent")
    response = owner.post("/agents/tokens/", form(name="seo agent"))
    html = response.content.decode()
    assert response.status_code == 400 and "already has a live token" in html and not SECRET.search(html)
    assert AgentToken.objects.count() == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (form(scopes=()), "at least one scope"),
        (form(scopes=("read", "root")), "Select a valid choice"),
        (form(name="  "), "This field is required"),
        (form(rate_per_minute=str(RATE_PER_MINUTE_MAX + 1)), f"less than or equal to {RATE_PER_MINUTE_MAX}"),
        (form(rate_per_minute="0"), "greater than or equal to 1"),
        (form(expires_on="2026-11-19"), "today or a later day"),
        (form(expires_on="9999-12-31"), "too far ahead"),  # the day after it has no datetime: not a 500
    ],
)
def test_bad_forms_are_refused_with_the_reason(alpha, data, message):
    with time_machine.travel("2026-11-20 12:00Z", tick=False):
        response = client_for(alpha, user=alpha.owner).post("/agents/tokens/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not AgentToken.objects.exists()


def test_an_expiry_date_lasts_to_the_end_of_that_day_in_the_business_time_zone(alpha):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(timezone="America/Toronto")
    with time_machine.travel("2026-11-20 12:00Z", tick=False):  # 07:00 in Toronto
        response = client_for(alpha, user=alpha.owner).post("/agents/tokens/", form(expires_on="2026-11-20"))
    assert response.status_code == 200
    expires = AgentToken.objects.get().expires_at
    assert expires == datetime.combine(
        date(2026, 11, 21), datetime.min.time(), tzinfo=ZoneInfo("America/Toronto")
    )


def test_revoking_from_the_page_stops_the_token(alpha):
    new = make(alpha)
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post(f"/agents/tokens/{new.token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/agents/"
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is None
    html = owner.get("/agents/").content.decode()
    assert "Revoked" in html and f"/agents/tokens/{new.token.pk}/revoke/" not in html
    htmx = owner.post(
        f"/agents/tokens/{new.token.pk}/revoke/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dash-body"
    )
    assert "no longer works" in htmx.content.decode()


def test_members_may_not_see_make_or_revoke_tokens(alpha):
    new = make(alpha)
    member = client_for(alpha, user=alpha.member)
    assert member.get("/agents/").status_code == 403
    assert member.post("/agents/tokens/", form(name="Rogue")).status_code == 403
    assert member.post(f"/agents/tokens/{new.token.pk}/revoke/").status_code == 403
    assert list(AgentToken.objects.values_list("name", "revoked_at")) == [("SEO agent", None)]
    assert 'href="/agents/"' not in member.get("/dashboard/").content.decode()  # nor the link to them
    assert 'href="/agents/"' in client_for(alpha, user=alpha.owner).get("/dashboard/").content.decode()


def test_an_owner_of_both_businesses_sees_only_this_hosts_tokens_and_calls(alpha, beta):
    person = owner_of_both(alpha, beta)
    alphas = make(alpha, name="Alpha writer")
    with tenant_context(alpha.tenant):
        call(alphas.token, tool="get_leads_of_alpha")
    on_beta = client_for(beta, user=person)
    html = on_beta.get("/agents/").content.decode()
    assert "Alpha writer" not in html and "get_leads_of_alpha" not in html and alphas.token.prefix not in html
    assert on_beta.post(f"/agents/tokens/{alphas.token.pk}/revoke/").status_code == 404
    assert agent_token_authenticate(tenant=alpha.tenant, secret=alphas.secret) is not None
    assert agent_token_authenticate(tenant=beta.tenant, secret=alphas.secret) is None
    on_beta.post("/agents/tokens/", form(name="Beta writer"))
    on_alpha = client_for(alpha, user=person).get("/agents/").content.decode()
    assert "Alpha writer" in on_alpha and "get_leads_of_alpha" in on_alpha and "Beta writer" not in on_alpha


def test_the_calls_are_newest_first_filtered_by_agent_and_paginated(alpha):
    seo, writer = make(alpha, name="SEO agent").token, make(alpha, name="Writer").token
    start = timezone.now() - timedelta(hours=1)
    with tenant_context(alpha.tenant):
        for minute in range(26):
            made = call(seo, tool=f"tool_{minute:02d}")
            AgentCall.objects.filter(pk=made.pk).update(created=start + timedelta(minutes=minute))
        call(writer, tool="publish_content", outcome="denied", error_code="missing_scope")
    owner = client_for(alpha, user=alpha.owner)
    everyone = owner.get("/agents/").content.decode()
    assert everyone.index("publish_content") < everyone.index("tool_25") < everyone.index("tool_02")
    assert "missing_scope" in everyone and "Denied" in everyone and "tool_01" not in everyone
    first = owner.get("/agents/", {"agent": "SEO agent"}).content.decode()
    assert (
        "publish_content" not in first
        and "tool_25" in first
        and "tool_01" in first
        and "tool_00" not in first
    )
    second = owner.get("/agents/", {"agent": "SEO agent", "page": 2}).content.decode()
    assert "tool_00" in second and "tool_01" not in second and "Page 2 of 2" in second
    writers = owner.get("/agents/", {"agent": "Writer"}).content.decode()
    assert "publish_content" in writers and "tool_" not in writers


def test_the_page_links_to_approvals_and_telegram(alpha):
    html = client_for(alpha, user=alpha.owner).get("/agents/").content.decode()
    assert 'href="/agents/approvals/"' in html and 'href="/agents/telegram/"' in html


def test_a_plan_without_agent_access_shows_the_upgrade_page(alpha):
    plan_change_apply(tenant=alpha.tenant, plan="seo", initial=True)
    response = client_for(alpha, user=alpha.owner).get("/agents/")
    assert (
        response.status_code == 403 and "Agent access is not part of your plan" in response.content.decode()
    )
    assert client_for(alpha, user=alpha.owner).post("/agents/tokens/", form()).status_code == 403
    assert not AgentToken.objects.exists()


def test_switched_off_agent_access_hides_the_page_and_its_link(alpha):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_agents=False)
    owner = client_for(alpha, user=alpha.owner)
    assert owner.get("/agents/").status_code == 404
    assert 'href="/agents/"' not in owner.get("/dashboard/").content.decode()


def test_the_page_costs_the_same_queries_whatever_the_number_of_tokens_and_calls(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = client_for(alpha, user=alpha.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/agents/").status_code == 200
        return len(captured)

    first = make(alpha, name="Agent 0").token
    with tenant_context(alpha.tenant):
        call(first)
    few = queries()
    for n in range(1, 6):
        token = make(alpha, name=f"Agent {n}").token
        with tenant_context(alpha.tenant):
            for _ in range(8):
                call(token)
    assert queries() == few


def test_settings_point_owners_to_the_agents_page(alpha):
    owner = client_for(alpha, user=alpha.owner)
    assert '<a href="/agents/">Agents page</a>' in owner.get("/dashboard/settings/").content.decode()
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_agents=False)
    assert "AI agents" not in owner.get("/dashboard/settings/").content.decode()
