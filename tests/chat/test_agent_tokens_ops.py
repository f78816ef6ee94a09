"""Agent tokens outside the owner's page: `manage.py agent_token_create`, the staff back office and
the demo tenant's SEO agent."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import AgentCall, Approval, DomainEvent
from marketing.models import Page
from tenants.models import AgentToken, User
from tenants.services.agent_tokens import agent_token_authenticate, agent_token_create


def run(*args) -> list[str]:
    out = StringIO()
    call_command("agent_token_create", *args, stdout=out)
    return out.getvalue().splitlines()


# --- the command --------------------------------------------------------------------------------------


def test_the_command_prints_a_token_that_authenticates_as_its_last_line(alpha):
    lines = run(
        "--tenant", "ALPHA", "--name", "Report bot", "--scopes", "read, publish", "--expires-days", "30"
    )
    token = agent_token_authenticate(tenant=alpha.tenant, secret=lines[-1])
    assert token.name == "Report bot" and token.scopes == ["read", "publish"] and token.created_by is None
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "Report bot" in lines[0] and "http://alpha.localhost:8000/mcp" in "\n".join(lines)
    assert lines[-1] not in "\n".join(lines[:-1])  # printed once


def test_without_expires_days_the_token_does_not_expire(alpha):
    lines = run("--tenant", "alpha", "--name", "Reader", "--scopes", "read")
    assert agent_token_authenticate(tenant=alpha.tenant, secret=lines[-1]).expires_at is None
    assert "no expiry" in lines[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--tenant", "nobody", "--name", "A", "--scopes", "read"],
            "No active tenant has the subdomain “nobody”.",
        ),
        (["--tenant", "alpha", "--name", "A", "--scopes", "read,root"], "Unknown scope: root."),
        (["--tenant", "alpha", "--name", "A", "--scopes", ","], "at least one scope"),
        (["--tenant", "alpha", "--name", "  ", "--scopes", "read"], "Give the agent a name."),
        (["--tenant", "alpha", "--name", "Taken", "--scopes", "read"], "already has a live token"),
        (
            ["--tenant", "alpha", "--name", "A", "--scopes", "read", "--expires-days", "0"],
            "must be between 1 and 3650",
        ),
        (
            ["--tenant", "alpha", "--name", "A", "--scopes", "read", "--expires-days", "3651"],
            "must be between 1 and 3650",
        ),
    ],
)
def test_bad_input_is_a_command_error_with_a_sentence(alpha, args, message):
    agent_token_create(tenant=alpha.tenant, name="Taken", scopes=["read"], actor=None)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert AgentToken.objects.count() == 1


# --- the staff back office ----------------------------------------------------------------------------


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_superuser("staff@example.com", "pw-for-tests")
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    return client


def test_staff_list_and_revoke_tokens_but_never_see_the_digest_or_make_one(alpha, staff_client):
    new = agent_token_create(tenant=alpha.tenant, name="SEO agent", scopes=["read"], actor=alpha.owner)
    listing = staff_client.get("/admin/tenants/agenttoken/").content.decode()
    assert "SEO agent" in listing and new.token.prefix in listing and new.token.digest not in listing
    detail = staff_client.get(f"/admin/tenants/agenttoken/{new.token.pk}/change/").content.decode()
    assert new.token.prefix in detail and new.token.digest not in detail and new.secret not in detail
    assert staff_client.get("/admin/tenants/agenttoken/add/").status_code == 403
    response = staff_client.post(
        "/admin/tenants/agenttoken/", {"action": "revoke", "_selected_action": [new.token.pk]}
    )
    assert response.status_code == 302
    assert agent_token_authenticate(tenant=alpha.tenant, secret=new.secret) is None
    assert "SEO agent" in staff_client.get("/admin/tenants/agenttoken/?state=revoked").content.decode()
    assert "SEO agent" not in staff_client.get("/admin/tenants/agenttoken/?state=live").content.decode()


def test_staff_read_a_tenants_agent_calls_and_events(alpha, beta, staff_client):
    token = agent_token_create(tenant=alpha.tenant, name="SEO agent", scopes=["read"], actor=None).token
    with tenant_context(alpha.tenant):
        AgentCall.objects.create(
            token_id=token.pk, agent_name="SEO agent", tool="get_seo_data", args_digest="a" * 64,
            duration_ms=88, outcome="error", error_code="range_too_long",
        )  # fmt: skip
        DomainEvent.objects.create(type="lead.created", data={"lead": 7}, actor_label="system")
    page = staff_client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/agents/").content.decode()
    assert (
        "get_seo_data" in page and "range_too_long" in page and "lead.created" in page and "waiting" in page
    )
    assert token.digest not in page
    others = staff_client.get(f"/admin/tenants/tenant/{beta.tenant.pk}/agents/").content.decode()
    assert "get_seo_data" not in others and "lead.created" not in others
    assert staff_client.post(f"/admin/tenants/tenant/{alpha.tenant.pk}/agents/").status_code == 403
    change = staff_client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    assert f"/admin/tenants/tenant/{alpha.tenant.pk}/agents/" in change


# --- the demo -----------------------------------------------------------------------------------------


def test_the_demo_agent_loads_once_with_calls_a_proposal_and_events(
    alpha, django_capture_on_commit_callbacks
):
    from chat.agents_demo import AGENT, CALLS, DRAFT_SLUG, agents_demo_load
    from contracts.services.events import Actor
    from marketing.services.leads import lead_create

    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=False):
        lead, _ = lead_create(data={"name": "Mia Rossi", "phone": "+14165550999"}, actor=Actor.system())
        assert agents_demo_load(tenant=alpha.tenant, owner=alpha.owner) == len(CALLS) >= 10
        events = DomainEvent.objects.count()
        assert agents_demo_load(tenant=alpha.tenant, owner=alpha.owner) == 0
        token = AgentToken.objects.get(tenant=alpha.tenant, name=AGENT)
        assert (
            token.name == AGENT and token.scopes == ["read", "write_content", "memory"] and token.is_active()
        )
        calls = AgentCall.objects.all()
        assert calls.count() == len(CALLS) and {c.token_id for c in calls} == {token.pk}
        assert {c.outcome for c in calls} == {"ok", "invalid", "denied"}
        assert timezone.now() - calls.last().created > timedelta(days=5)
        page = Page.objects.get(slug=DRAFT_SLUG)
        assert not page.is_published
        approval = Approval.objects.get()
        assert approval.status == "pending" and approval.agent_name == AGENT and approval.token_id == token.pk
        assert approval.target_ref == f"page:{page.pk}" and "Winter car storage" in approval.preview["after"]
        assert (
            DomainEvent.objects.filter(type="approval.requested", actor_label=f"agent {AGENT}").count() == 1
        )
        assert DomainEvent.objects.count() == events  # nothing emitted twice
        # the other demos' records are on the stream once, whether their services emitted it or the demo
        assert list(DomainEvent.objects.filter(type="lead.created").values_list("data__lead", flat=True)) == [
            lead.pk
        ]
