"""Tenant isolation: every tenant URL that exists so far, tried by the wrong people."""

import pytest
from django.test import Client

from tenants.services.status import tenant_suspend
from tests.conftest import client_for

MEMBER_PAGES = [
    "/dashboard/",
    "/dashboard/seo/",
    "/dashboard/calendar/",
    "/contracts/",
    "/contracts/new/",
    "/contracts/verify/",
]
MEMBER_PAGES += ["/leads/", "/leads/import/", "/leads/export.csv"]  # leads
MEMBER_PAGES += ["/pages/", "/pages/new/"]  # the website's pages
MEMBER_PAGES += ["/api/docs/"]  # the API docs (a page for people; keys may open it too)
MEMBER_PAGES += ["/dashboard/seo/trend/"]  # SEO trend
MEMBER_PAGES += ["/dashboard/memory/"]  # the business memory
MEMBER_PAGES += ["/questionnaire/"]  # the daily questionnaire
MEMBER_PAGES += ["/chat/inbox/"]  # the chat inbox
MEMBER_PAGES += ["/agents/approvals/"]  # agents' proposals (owners decide)
OWNER_PAGES = ["/dashboard/settings/", "/contracts/settings/", "/dashboard/settings/google/", "/billing/"]
OWNER_PAGES += ["/agents/"]  # agent tokens and the agents' tool calls
OWNER_PAGES += ["/agents/telegram/"]  # linking Telegram chats
OWNER_PAGES += ["/agents/tasks/"]  # the agents' task board
OWNER_PAGES += ["/agents/bus/"]  # the agent bus
OWNER_PAGES += ["/agents/bus/messages/"]  # the agent bus's list (polled)
OWNER_PAGES += ["/agents/states/"]  # the agents' states (the /agents/ table, polled)
API = ["/api/v1/me/", "/api/v1/config/", "/api/v1/dashboard/", "/api/v1/contracts/", "/api/v1/leads/"]
API += [
    "/api/v1/metrics/summary/",
    "/api/v1/metrics/series/?metric=clicks",
    "/api/v1/seo/queries/",
]  # marketing data
API += ["/api/v1/seo/pages/", "/api/v1/ingestion/runs/"]
# (/api/v1/campaigns/ is off by default, so it answers 404 to everyone here: tests/api/test_access.py)
API += ["/api/v1/calendar/", "/api/v1/calendar/events/", "/api/v1/pages/", "/api/v1/team/"]
API += ["/api/v1/memory/"]  # the business memory
API += ["/api/v1/questionnaire/"]  # the daily questionnaire's asks and answers
API += ["/api/v1/chat/conversations/"]  # the chat inbox
API += ["/api/v1/site/"]  # the business at a glance (MCP site_info's twin)
# (/api/v1/agents/approvals/ is for owners only, so a member gets 403: tests/chat/test_approvals_api.py)
API += ["/api/v1/events/"]  # the domain-event stream (agent access)
ALL = MEMBER_PAGES + OWNER_PAGES + API
# Tenant URLs anyone may open: the public site, its theme, icon and logo, and signing in and out.
PUBLIC_URL_NAMES = {
    "site_home",
    "theme_css",
    "favicon",
    "media",
    "signin",
    "signin_link",
    "signin_code",
    "signin_code_verify",
    "signout",
    "quote_submit",  # the home page's quote form: tests/marketing/test_quote_form.py
    # the website: published pages only (drafts, caching and isolation in tests/marketing/test_pages.py)
    "site_page",
    "sitemap",
    "robots_txt",
    "api_schema",  # the API's OpenAPI schema: the same document for everyone, no tenant data
    # the chat widget's endpoints, for anonymous visitors by design: a visitor reaches only the
    # conversation of their own signed, host-only cookie; another tenant's cookie, a forged one and
    # none at all find nothing (tests/chat/test_widget.py)
    "chat_message_post",
    "chat_conversation",
}
# Private URLs covered by the tests below (POST-only ones have their own test).
PRIVATE_URL_NAMES = {
    "dashboard", "dashboard_seo", "dashboard_calendar", "dashboard_settings", "api_me", "api_config", "api_dashboard", "signout_everywhere",
    # contract pages and API (the ones with an id are tried across tenants in tests/contracts),
    # API key management (POST-only, owners only: tests/contracts/test_apikeys.py)
    "contract_list", "contract_create", "contract_detail", "contract_send", "contract_void", "contract_pdf",
    "api_contracts", "api_contract", "api_contract_send", "api_contract_void", "apikey_create", "apikey_revoke",
    "contract_verify", "contract_settings",
}  # fmt: skip
# POST-only, non-members and anonymous tried in tests/contracts/test_tracking.py.
PRIVATE_URL_NAMES |= {"contract_milestone_post", "api_contract_milestones"}
# campaigns (off by default, so the lists above would only see 404s): tests/dashboard/test_campaigns.py
PRIVATE_URL_NAMES |= {"campaign_list"}
# campaigns by hand (owners; the ones with an id tried by an owner of both tenants in tests/dashboard/test_campaigns.py)
PRIVATE_URL_NAMES |= {"campaign_create", "campaign_row", "campaign_edit", "campaign_delete"}
# seasonal events (owners; the ones with an id tried by an owner of both tenants in tests/dashboard/test_calendar.py)
PRIVATE_URL_NAMES |= {"seasonal_event_create", "seasonal_event_edit", "seasonal_event_delete"}
# leads: the ones with an id are tried by a member of both tenants in tests/marketing.
PRIVATE_URL_NAMES |= {
    "lead_list",
    "lead_export",
    "lead_import",
    "lead_detail",
    "lead_status",
    "lead_contract",
}
PRIVATE_URL_NAMES |= {"api_leads", "api_lead", "api_lead_status"}
# website pages: the ones with an id are tried by a member of both tenants in tests/marketing/test_pages.py.
PRIVATE_URL_NAMES |= {
    "page_list",
    "page_create",
    "page_preview",
    "page_edit",
    "page_unpublish",
    "page_delete",
}
PRIVATE_URL_NAMES |= {"page_restore"}
# Google connection (owners only; the OAuth callback across tenants: tests/marketing/connectors/test_google_connect.py)
PRIVATE_URL_NAMES |= {"google_settings", "google_connect", "google_callback", "google_disconnect"}
# marketing data read API (members of both tenants and other tenants' keys: tests/marketing/test_metrics_api.py)
PRIVATE_URL_NAMES |= {"api_metrics_summary", "api_metrics_series", "api_seo_queries", "api_seo_pages"}
PRIVATE_URL_NAMES |= {"api_ingestion_runs"}
# the business at a glance (the MCP site_info's twin; another tenant's key: tests/chat/test_mcp.py)
PRIVATE_URL_NAMES |= {"api_site"}
# the SEO trend page (a member of both tenants: tests/dashboard/test_seo.py)
PRIVATE_URL_NAMES |= {"dashboard_seo_trend"}
# the team (owners only, POST-only): tried by a member and by an owner of both tenants in tests/tenants/test_team.py
PRIVATE_URL_NAMES |= {"team_invite", "team_role", "team_remove"}
# settings (owners only): colour contrast checks and connectors' "Run now" (POST-only), tried by a
# member and by an owner of both tenants in tests/dashboard/test_settings_*.py
PRIVATE_URL_NAMES |= {"settings_contrast", "connector_run_now"}
# campaigns, the seasonal calendar, pages and the team over the API, and the API docs: tried by other
# tenants' keys, a person in both tenants, anonymous callers and members in tests/api/.
PRIVATE_URL_NAMES |= {"api_campaigns", "api_campaign", "api_calendar", "api_calendar_events"}
PRIVATE_URL_NAMES |= {"api_calendar_event", "api_pages", "api_page", "api_page_publish", "api_page_unpublish"}
PRIVATE_URL_NAMES |= {"api_team", "api_team_member", "api_docs"}
# the business memory: the page, its writes and the API (the ones with an id tried by an owner of
# both tenants and by another tenant's key in tests/chat/test_memory.py)
PRIVATE_URL_NAMES |= {
    "memory",
    "memory_create",
    "memory_edit",
    "memory_delete",
    "api_memory",
    "api_memory_entry",
}
# the daily questionnaire: owners' writes (POST-only, the ones with an id tried by a person in both
# tenants and by members in tests/chat/test_questionnaire.py)
PRIVATE_URL_NAMES |= {
    "questionnaire",
    "questionnaire_settings",
    "questionnaire_resume",
    "questionnaire_answer",
    "questionnaire_question_edit",
    "questionnaire_question_move",
    "api_questionnaire_asks",
}
# the chat inbox: the ones with an id tried by an owner of both tenants, anonymous callers and
# members in tests/chat/test_inbox.py
PRIVATE_URL_NAMES |= {"chat_inbox", "chat_inbox_conversation", "chat_inbox_reply"}
PRIVATE_URL_NAMES |= {"api_chat_conversations", "api_chat_conversation"}
# agent access (owners): the page, making a token and revoking one (POST-only; members, an owner of
# both tenants and another tenant's token id in tests/chat/test_agent_tokens.py)
PRIVATE_URL_NAMES |= {"agents", "agent_token_create", "agent_token_revoke"}
# agents' states (owners): the polled table and parking/waking one (POST-only, with an id: members and
# an owner of both tenants in tests/chat/test_agent_lifecycle.py)
PRIVATE_URL_NAMES |= {"agent_states", "agent_state"}
# agents' proposals: the page (members read, owners decide) and the API (owners); the ones with an id
# tried by an owner of both tenants, members, API keys and anonymous callers in tests/chat/test_approvals*.py
PRIVATE_URL_NAMES |= {"approval_list", "approval_detail", "approval_approve", "approval_reject"}
PRIVATE_URL_NAMES |= {"api_approvals", "api_approval", "api_approval_approve", "api_approval_reject"}
# the agent bus (owners): posting (POST-only) is tried by an owner of both tenants in tests/chat/test_bus.py,
# the polled list in tests/chat/test_workspace_pages.py
PRIVATE_URL_NAMES |= {"agent_bus", "agent_bus_post", "agent_bus_messages"}
# the event stream: an owner of both tenants, API keys and plans in tests/chat/test_events_api.py
PRIVATE_URL_NAMES |= {"api_events"}
# the task board (owners): the page, creating, reassigning and closing a task (POST-only; members and
# an owner of both tenants with another tenant's task id in tests/chat/test_tasks.py)
PRIVATE_URL_NAMES |= {"agent_tasks", "agent_task_create", "agent_task_reassign", "agent_task_close"}
# billing (owners): the portal (POST-only) and the offline test portal are tried in tests/billing.
PRIVATE_URL_NAMES |= {"billing_home", "billing_portal", "billing_test_portal"}
# Telegram (owners): making a link code and a link's preferences and unlinking (POST-only, the ones
# with an id tried by an owner of both tenants and by members in tests/chat/test_telegram_pages.py)
PRIVATE_URL_NAMES |= {"telegram_settings", "telegram_link_code", "telegram_preferences", "telegram_unlink"}
# Contract portal, customer side: open to whoever holds the link's token. Wrong, rotated, revoked,
# expired and other tenants' links are tried in tests/contracts/test_portal.py.
LINK_URL_NAMES = {
    "customer_contract", "customer_contract_sign", "customer_code_send", "customer_code_verify",
    "customer_contract_pdf",
}  # fmt: skip


def _tenant_url_names(patterns=None, names=None) -> set[str]:
    from django.urls import URLResolver, get_resolver

    names = set() if names is None else names
    for pattern in get_resolver("inkwell.urls_tenant").url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            _tenant_url_names(pattern.url_patterns, names)
        else:
            names.add(pattern.name)
    return names


def test_every_tenant_url_is_either_public_or_covered_here():
    # A new tenant URL fails this test until it is added to one of the lists (and, if private, tested).
    assert _tenant_url_names() == PUBLIC_URL_NAMES | PRIVATE_URL_NAMES | LINK_URL_NAMES


def test_non_member_cannot_sign_anyone_out_everywhere(alpha, beta):
    victim = client_for(alpha, user=alpha.owner)
    response = client_for(alpha, user=beta.owner).post("/sign-in/out/everywhere/")
    assert response.status_code == 404
    assert victim.get("/dashboard/").status_code == 200


def assert_no_private_data(response, world):
    """The brand is public on the tenant's own host; who works there and its settings are not."""
    html = response.content.decode()
    for private in (world.owner.email, world.member.email, "Signed in as", "Business settings", "feature_"):
        assert private not in html


@pytest.mark.parametrize("path", ALL)
def test_signed_in_non_member_gets_404_everywhere(alpha, beta, path):
    # A session on alpha's own host for someone who is not (or no longer) a member of alpha.
    client = client_for(alpha, user=beta.owner)
    response = client.get(path)
    assert response.status_code == 404
    assert_no_private_data(response, alpha)


@pytest.mark.parametrize("path", ALL)
def test_session_from_another_tenant_is_not_honoured(alpha, beta, path):
    client = client_for(beta, user=beta.owner)  # signed in to beta…
    client.defaults["HTTP_HOST"] = alpha.host  # …then replayed on alpha
    response = client.get(path)
    assert response.status_code in (302, 401)  # pages send to sign-in, the API challenges
    assert_no_private_data(response, alpha)
    # and the replayed session is gone, so it can't be used on beta either
    client.defaults["HTTP_HOST"] = beta.host
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("path", MEMBER_PAGES + API)
def test_session_not_opened_on_this_tenant_is_not_honoured(alpha, path):
    # e.g. a staff session from the admin, or one made before sessions recorded their tenant
    client = Client(HTTP_HOST=alpha.host)
    client.force_login(alpha.owner)
    assert client.get(path).status_code in (302, 401)


def test_member_of_two_tenants_signs_in_to_each_separately(alpha, beta):
    from tenants.models import Membership

    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    client = client_for(alpha, user=alpha.owner)
    assert client.get("/api/v1/me/").json()["role"] == "owner"
    client.defaults["HTTP_HOST"] = beta.host
    assert client.get("/dashboard/").status_code == 302  # alpha's session does not open beta
    assert client_for(beta, user=alpha.owner).get("/api/v1/me/").json()["role"] == "member"


def test_another_tenants_origin_cannot_post_here(alpha, beta):
    client = client_for(alpha, user=alpha.owner, enforce_csrf_checks=True)
    token = client.get("/dashboard/settings/").context["csrf_token"]
    data = {"brand_name": "Forged", "csrfmiddlewaretoken": token}
    forged = client.post("/dashboard/settings/", data, HTTP_ORIGIN="http://beta.localhost:8000")
    assert forged.status_code == 403
    same_site = client.post("/dashboard/settings/", data, HTTP_ORIGIN="http://alpha.localhost")
    assert same_site.status_code == 400  # got past CSRF, to the form's own validation


@pytest.mark.parametrize("path", MEMBER_PAGES + OWNER_PAGES)
def test_anonymous_is_sent_to_sign_in(alpha, path):
    response = client_for(alpha).get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next={path}"


@pytest.mark.parametrize("path", API)
def test_anonymous_api_call_is_refused(alpha, path):
    response = client_for(alpha).get(path)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["code"] == "not_authenticated"
    assert "credentials" in response.json()["message"]


@pytest.mark.parametrize("path", MEMBER_PAGES + API)
def test_members_see_their_own_tenant(alpha, path):
    response = client_for(alpha, user=alpha.member).get(path)
    assert response.status_code == 200


def test_api_answers_about_the_host_tenant_only(alpha, beta):
    assert client_for(alpha, user=alpha.owner).get("/api/v1/me/").json()["tenant"]["subdomain"] == "alpha"
    assert client_for(beta, user=beta.owner).get("/api/v1/me/").json()["tenant"]["subdomain"] == "beta"


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_members_cannot_use_owner_pages(alpha, path):
    response = client_for(alpha, user=alpha.member).get(path)
    assert response.status_code == 403


def owner_of_alpha_and_member_of_beta(alpha, beta):
    from tenants.models import Membership

    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    return alpha.owner


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_an_owner_elsewhere_is_only_a_member_here(alpha, beta, path):
    person = owner_of_alpha_and_member_of_beta(alpha, beta)
    assert client_for(alpha, user=person).get(path).status_code == 200
    assert client_for(beta, user=person).get(path).status_code == 403


def test_members_cannot_post_owner_pages(alpha):
    response = client_for(alpha, user=alpha.member).post("/dashboard/settings/", {"brand_name": "Hacked"})
    assert response.status_code == 403
    alpha.tenant.config.refresh_from_db()
    assert alpha.tenant.config.brand_name == "Alpha Movers"


def test_members_cannot_change_config_by_api(alpha):
    client = client_for(alpha, user=alpha.member)
    response = client.patch("/api/v1/config/", {"brand_name": "Hacked"}, content_type="application/json")
    assert response.status_code == 403
    alpha.tenant.config.refresh_from_db()
    assert alpha.tenant.config.brand_name == "Alpha Movers"


def test_an_owner_elsewhere_cannot_change_config_by_api_where_only_a_member(alpha, beta):
    person = owner_of_alpha_and_member_of_beta(alpha, beta)
    response = client_for(beta, user=person).patch(
        "/api/v1/config/", {"brand_name": "Hacked"}, content_type="application/json"
    )
    assert response.status_code == 403
    beta.tenant.config.refresh_from_db()
    assert beta.tenant.config.brand_name == "Beta Shipping"
    assert client_for(beta, user=person).get("/api/v1/config/").status_code == 200  # reading is fine


def test_owner_cannot_change_another_tenants_config_by_api(alpha, beta):
    client = client_for(alpha, user=beta.owner)
    response = client.patch("/api/v1/config/", {"brand_name": "Hacked"}, content_type="application/json")
    assert response.status_code == 404


def test_unknown_host_gets_a_friendly_404(db):
    response = Client(HTTP_HOST="nobody.localhost").get("/dashboard/")
    assert response.status_code == 404
    assert "There is no business at" in response.content.decode()


@pytest.mark.parametrize("status", ["spare", "provisioning", "canceled"])
def test_tenants_that_are_not_live_are_unreachable_even_with_a_domain(alpha, status):
    from tenants.models import Domain, Tenant
    from tenants.selectors import spare_tenants

    if status == "canceled":
        tenant, host = alpha.tenant, alpha.host
        assert client_for(alpha).get("/").status_code == 200  # reachable until it is canceled
    else:
        tenant, host = spare_tenants().get(), "unclaimed.localhost"  # a valid host name, unlike a schema's
        Domain.objects.create(domain=host, tenant=tenant)
    Tenant.objects.filter(pk=tenant.pk).update(status=status)
    for path in ("/", "/sign-in/", "/theme.css", "/api/v1/config/"):
        response = Client(HTTP_HOST=host).get(path)
        assert response.status_code == 404
        assert f"There is no business at <strong>{host}</strong>" in response.content.decode()


def test_suspended_tenant_shows_a_notice_and_nothing_else(alpha):
    client = client_for(alpha, user=alpha.owner)
    tenant_suspend(tenant=alpha.tenant, reason="unpaid")
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert "temporarily unavailable" in response.content.decode()
    assert client.get("/api/v1/me/").status_code == 403


def test_tenant_pages_do_not_exist_on_the_public_host(alpha, public_client):
    public_client.force_login(alpha.owner)
    for path in ALL:
        assert public_client.get(path).status_code == 404


def test_admin_is_only_on_the_public_host(alpha):
    assert client_for(alpha).get("/admin/").status_code == 404
