"""Who may call each endpoint of /api/v1/ added with the campaigns, calendar, pages and team API:
nobody without credentials; nobody from another tenant (their key, or a person in both tenants
signed in to the other one) sees or changes alpha's objects; owner-only writes refuse members and
API keys."""

import pytest
from django_tenants.utils import tenant_context

from marketing.models import Campaign, Page, SeasonalEvent
from tenants.models import Membership
from tests.api.conftest import key_client
from tests.conftest import client_for


@pytest.fixture
def alpha_objects(alpha, campaigns_on):
    with tenant_context(alpha.tenant):
        return {
            "campaign": Campaign.objects.create(name="Spring radio", channel=Campaign.Channel.RADIO).pk,
            "event": SeasonalEvent.objects.create(
                name="Snowbirds", start_month=10, start_day=1, end_month=11, end_day=30
            ).pk,
            "page": Page.objects.create(slug="moving", title="Moving").pk,
            "member": Membership.objects.get(tenant=alpha.tenant, user=alpha.member).pk,
        }


# (method, path template, body): every call on one of alpha's objects.
OBJECT_CALLS = [
    ("get", "/api/v1/campaigns/{campaign}/", None),
    ("patch", "/api/v1/campaigns/{campaign}/", {"name": "Taken over"}),
    ("delete", "/api/v1/campaigns/{campaign}/", None),
    ("get", "/api/v1/calendar/events/{event}/", None),
    ("patch", "/api/v1/calendar/events/{event}/", {"name": "Taken over"}),
    ("delete", "/api/v1/calendar/events/{event}/", None),
    ("get", "/api/v1/pages/{page}/", None),
    ("patch", "/api/v1/pages/{page}/", {"title": "Taken over"}),
    ("post", "/api/v1/pages/{page}/publish/", None),
    ("post", "/api/v1/pages/{page}/unpublish/", None),
    ("get", "/api/v1/team/{member}/", None),
    ("patch", "/api/v1/team/{member}/", {"role": "owner"}),
    ("delete", "/api/v1/team/{member}/", None),
]
OWNER_ONLY = {
    ("post", "/api/v1/pages/{page}/publish/"),
    ("post", "/api/v1/pages/{page}/unpublish/"),
    ("patch", "/api/v1/team/{member}/"),
    ("delete", "/api/v1/team/{member}/"),
}
LISTS = [
    "/api/v1/campaigns/",
    "/api/v1/calendar/",
    "/api/v1/calendar/events/",
    "/api/v1/pages/",
    "/api/v1/team/",
]


def _call(client, method, path, body):
    return (
        getattr(client, method)(path, body, content_type="application/json")
        if body
        else getattr(client, method)(path)
    )


def _alpha_unchanged(alpha, objects):
    with tenant_context(alpha.tenant):
        assert Campaign.objects.get(pk=objects["campaign"]).name == "Spring radio"
        assert SeasonalEvent.objects.get(pk=objects["event"]).name == "Snowbirds"
        page = Page.objects.get(pk=objects["page"])
        assert (page.title, page.is_published) == ("Moving", False)
    assert Membership.objects.get(pk=objects["member"]).role == Membership.Role.MEMBER


@pytest.mark.parametrize(("method", "template", "body"), OBJECT_CALLS)
def test_a_person_in_both_tenants_gets_404_for_alphas_objects_on_beta(
    alpha, both, alpha_objects, method, template, body
):
    # Owner of beta, member of alpha, signed in on beta's host: only the tenant check stops them.
    response = _call(both, method, template.format(**alpha_objects), body)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    _alpha_unchanged(alpha, alpha_objects)


@pytest.mark.parametrize(("method", "template", "body"), OBJECT_CALLS)
def test_betas_key_gets_nothing_of_alphas(alpha, beta, beta_key, alpha_objects, method, template, body):
    path = template.format(**alpha_objects)
    # On beta's own host alpha's ids are nobody's; owner-only calls refuse any key first.
    response = _call(key_client(beta, beta_key), method, path, body)
    assert response.status_code == (403 if (method, template) in OWNER_ONLY else 404)
    # On alpha's host beta's key is no key at all.
    response = _call(key_client(alpha, beta_key), method, path, body)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    _alpha_unchanged(alpha, alpha_objects)


@pytest.mark.parametrize(("method", "template", "body"), OBJECT_CALLS)
def test_no_credentials_no_answer(alpha, alpha_objects, method, template, body):
    response = _call(client_for(alpha), method, template.format(**alpha_objects), body)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    _alpha_unchanged(alpha, alpha_objects)


@pytest.mark.parametrize("path", LISTS)
def test_lists_need_credentials_and_show_only_this_tenants_objects(
    alpha, beta, both, beta_key, campaigns_on, path
):
    assert client_for(alpha).get(path).status_code == 401
    assert client_for(alpha).post(path, {}, content_type="application/json").status_code == 401
    with tenant_context(alpha.tenant):
        Campaign.objects.create(name="Alpha only", channel=Campaign.Channel.RADIO)
        SeasonalEvent.objects.create(name="Alpha only", start_month=1, start_day=1, end_month=1, end_day=2)
        Page.objects.create(slug="alpha-only", title="Alpha only")
    for client in (both, key_client(beta, beta_key)):
        response = client.get(path)
        assert response.status_code == 200
        assert "Alpha only" not in response.content.decode()
        assert alpha.member.email not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "template", "body"), sorted(c for c in OBJECT_CALLS if c[:2] in OWNER_ONLY)
)
def test_owner_only_writes_refuse_members_and_keys(alpha, alpha_key, alpha_objects, method, template, body):
    path = template.format(**alpha_objects)
    for client in (client_for(alpha, user=alpha.member), key_client(alpha, alpha_key)):
        response = _call(client, method, path, body)
        assert response.status_code == 403
        assert response.json()["code"] == "not_allowed"
    _alpha_unchanged(alpha, alpha_objects)
    response = _call(client_for(alpha, user=alpha.owner), method, path, body)
    assert response.status_code in (200, 204, 409)  # the owner gets through (unpublish: nothing live)


def test_a_member_cannot_invite(alpha, alpha_key):
    for client in (client_for(alpha, user=alpha.member), key_client(alpha, alpha_key)):
        response = client.post("/api/v1/team/", {"email": "new@example.com"}, content_type="application/json")
        assert response.status_code == 403
    assert not Membership.objects.filter(tenant=alpha.tenant, user__email="new@example.com").exists()


def test_session_writes_need_the_csrf_token(alpha):
    from django.test import Client

    client = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    client.force_login(alpha.owner)
    session = client.session
    session["tenant"] = alpha.tenant.schema_name
    session.save()
    response = client.post(
        "/api/v1/pages/", {"slug": "csrf", "title": "No token"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    with tenant_context(alpha.tenant):
        assert not Page.objects.filter(slug="csrf").exists()


# What the campaigns page and the seasonal calendar let only owners do (members read there).
OWNER_OR_KEY_WRITES = [
    ("post", "/api/v1/campaigns/", {"name": "Member's", "channel": "radio"}),
    ("patch", "/api/v1/campaigns/{campaign}/", {"name": "Taken over"}),
    ("delete", "/api/v1/campaigns/{campaign}/", None),
    (
        "post",
        "/api/v1/calendar/events/",
        {"name": "Member's", "start_month": 1, "start_day": 1, "end_month": 1, "end_day": 2},
    ),
    ("patch", "/api/v1/calendar/events/{event}/", {"name": "Taken over"}),
    ("delete", "/api/v1/calendar/events/{event}/", None),
]


@pytest.mark.parametrize(("method", "template", "body"), OWNER_OR_KEY_WRITES)
def test_a_members_session_cannot_write_what_the_pages_keep_for_owners(
    alpha, alpha_key, alpha_objects, method, template, body
):
    path = template.format(**alpha_objects)
    response = _call(client_for(alpha, user=alpha.member), method, path, body)
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"
    _alpha_unchanged(alpha, alpha_objects)
    with tenant_context(alpha.tenant):
        assert not Campaign.objects.filter(name="Member's").exists()
        assert not SeasonalEvent.objects.filter(name="Member's").exists()
    # members still read; the owner signed in writes
    assert (
        client_for(alpha, user=alpha.member).get(template.format(**alpha_objects).split("{")[0]).status_code
        == 200
    )
    response = _call(client_for(alpha, user=alpha.owner), method, path, body)
    assert response.status_code in (200, 201, 204)


@pytest.mark.parametrize(("method", "template", "body"), OWNER_OR_KEY_WRITES)
def test_this_tenants_key_writes_campaigns_and_events(
    alpha, alpha_key, alpha_objects, method, template, body
):
    response = _call(key_client(alpha, alpha_key), method, template.format(**alpha_objects), body)
    assert response.status_code in (200, 201, 204)
