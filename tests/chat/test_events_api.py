"""GET /api/v1/events/: the tenant's event stream for its members and API keys, with a cursor; the plan
must include agent access."""

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from chat.selectors_events import MAX_LIMIT
from chat.services.events import event_emit, events_redis, events_relay, stream_key
from tenants.models import Membership, Plan, Tenant, TenantConfig, User
from tenants.services.apikeys import apikey_create
from tests.conftest import client_for

URL = "/api/v1/events/"


@pytest.fixture
def streams(alpha, beta):
    events_redis().delete(stream_key(alpha.tenant.schema_name), stream_key(beta.tenant.schema_name))


def relayed(world, *leads) -> list[int]:
    """`lead.created` events for `leads` (ids) in `world`, relayed; their event ids."""
    with tenant_context(world.tenant):
        with transaction.atomic():
            ids = [event_emit(type="lead.created", data={"lead": lead}).pk for lead in leads]
        events_relay()
    return ids


def key_client(world, label="CRM"):
    secret = apikey_create(tenant=world.tenant, label=label, actor=None).key
    return client_for(world, HTTP_AUTHORIZATION=f"Api-Key {secret}")


def test_a_member_follows_the_stream_page_by_page(alpha, streams):
    ids = relayed(alpha, 1, 2, 3)
    client = client_for(alpha, user=alpha.member)
    first = client.get(URL, {"limit": 2}).json()
    assert [e["id"] for e in first["events"]] == ids[:2]
    assert first["events"][0]["type"] == "lead.created" and first["events"][0]["data"] == {"lead": 1}
    second = client.get(URL, {"cursor": first["next_cursor"], "limit": 2}).json()
    assert [e["id"] for e in second["events"]] == ids[2:]
    empty = client.get(URL, {"cursor": second["next_cursor"]}).json()
    assert empty == {"events": [], "next_cursor": second["next_cursor"]}
    later = relayed(alpha, 4)
    assert [e["id"] for e in client.get(URL, {"cursor": second["next_cursor"]}).json()["events"]] == later


def test_an_api_key_reads_its_own_tenants_stream_and_no_other(alpha, beta, streams):
    ids = relayed(alpha, 1)
    response = key_client(alpha).get(URL)
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["events"]] == ids
    beta_key_on_alpha = key_client(beta)
    beta_key_on_alpha.defaults["HTTP_HOST"] = alpha.host
    assert beta_key_on_alpha.get(URL).status_code == 401


def test_someone_in_both_tenants_sees_only_the_hosts_events(alpha, beta, streams):
    person = User.objects.create_user(email="both@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    alpha_ids, beta_ids = relayed(alpha, 1, 2), relayed(beta, 3)
    on_beta = client_for(beta, user=person).get(URL).json()["events"]
    assert [(e["id"], e["data"]) for e in on_beta] == [(beta_ids[0], {"lead": 3})]
    on_alpha = client_for(alpha, user=person).get(URL).json()["events"]
    assert [e["id"] for e in on_alpha] == alpha_ids
    # alpha's cursor on beta's host reads beta's stream, never alpha's
    cursor = client_for(alpha, user=person).get(URL).json()["events"][0]["cursor"]
    replay = client_for(beta, user=person).get(URL, {"cursor": cursor})
    assert all(e["data"] != {"lead": 2} for e in replay.json().get("events", []))


@pytest.mark.parametrize("cursor", ["abc", "1-2-3", "99999999999999999999-0", "99999999999999-0"])
def test_a_bad_cursor_is_a_400(alpha, streams, cursor):
    relayed(alpha, 1)
    response = client_for(alpha, user=alpha.member).get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor" and response.json()["message"]


@pytest.mark.parametrize(
    ("limit", "status"),
    [("1", 200), (str(MAX_LIMIT), 200), ("0", 400), (str(MAX_LIMIT + 1), 400), ("x", 400), ("-1", 400)],
)
def test_the_limit_is_checked_at_its_edges(alpha, streams, limit, status):
    response = client_for(alpha, user=alpha.member).get(URL, {"limit": limit})
    assert response.status_code == status
    if status == 400:
        assert response.json()["code"] == "invalid_limit"


def test_a_plan_without_agent_access_is_asked_to_upgrade(alpha, streams):
    client = client_for(alpha, user=alpha.member)
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan=Plan.SEO)
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "plan_upgrade_required" and "Full" in response.json()["message"]
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan=Plan.FULL)
    assert client.get(URL).status_code == 200


def test_agent_access_switched_off_hides_the_stream(alpha, streams):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_agents=False)
    assert client_for(alpha, user=alpha.owner).get(URL).status_code == 404


def test_redis_down_is_a_503(alpha, settings, tmp_path):
    settings.EVENTS_REDIS_URL = f"unix://{tmp_path}/no-redis.sock"
    response = client_for(alpha, user=alpha.member).get(URL)
    assert response.status_code == 503
    assert response.json()["code"] == "events_unavailable"


def test_the_schema_documents_the_stream(alpha):
    schema = client_for(alpha).get("/api/schema/?format=json").json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"cursor", "limit"}
    assert {"200", "400", "503"} <= set(operation["responses"])


def test_reading_costs_the_same_queries_however_many_events(alpha, streams):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(alpha, user=alpha.member)
    relayed(alpha, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["events"]) == 1
    relayed(alpha, *range(2, 40))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["events"]) == 39
    assert len(many) == len(one)  # the events come from Redis, not one query each
