"""/api/v1/leads/: 201, 400 per field, 409 for an illegal move, another tenant's key refused."""

from django_tenants.utils import tenant_context

from marketing.models import Lead
from tenants.services.apikeys import apikey_create
from tests.conftest import client_for

SHAPE = {"code", "message", "fields"}
BODY = {"name": "Giulia Bianchi", "phone": "+1 905 555 0142", "service_type": "container", "consent": True}


def api(world, key_world=None):
    key = apikey_create(tenant=(key_world or world).tenant, label="Website", actor=None).key
    return client_for(world, HTTP_AUTHORIZATION=f"Api-Key {key}")


def test_a_key_creates_a_lead_201(alpha, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alpha).post("/api/v1/leads/", BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["phone"], body["source"], body["status"]) == ("+19055550142", "api", "new")
    assert body["events"][0]["actor_label"] == "api-key:Website"


def test_a_duplicate_answers_200_with_the_existing_lead(alpha, django_capture_on_commit_callbacks):
    client = api(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/leads/", BODY, content_type="application/json").json()
        again = client.post("/api/v1/leads/", BODY, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first["id"]


def test_bad_fields_are_400_one_entry_per_field(alpha):
    response = api(alpha).post(
        "/api/v1/leads/",
        {"name": "", "phone": "12", "email": "nope", "status": "won"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == SHAPE and body["code"] == "invalid"
    assert {"name", "phone", "email", "status"} <= set(body["fields"])
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()


def test_another_tenants_key_is_401(alpha, beta):
    response = api(alpha, key_world=beta).post("/api/v1/leads/", BODY, content_type="application/json")
    assert response.status_code == 401
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()


def test_no_key_and_no_session_is_401(alpha):
    response = client_for(alpha).post("/api/v1/leads/", BODY, content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_member_session_lists_filters_and_reads_history(alpha, make_lead):
    lead, _ = make_lead(alpha)
    make_lead(alpha, name="Other", phone="+14165550155", email="", source="phone")
    client = client_for(alpha, user=alpha.member)
    listed = client.get("/api/v1/leads/?source=form").json()
    assert [row["id"] for row in listed["results"]] == [lead.pk]
    assert client.get("/api/v1/leads/?status=bogus").status_code == 400
    detail = client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert [event["kind"] for event in detail["events"]] == ["created"]


def test_status_api_moves_and_refuses_illegal_moves_with_409(alpha, make_lead):
    lead, _ = make_lead(alpha)
    client = api(alpha)
    ok = client.post(f"/api/v1/leads/{lead.pk}/status/", {"status": "contacted", "note": "Called"})
    assert ok.status_code == 200 and ok.json()["status"] == "contacted"
    refused = client.post(f"/api/v1/leads/{lead.pk}/status/", {"status": "won"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "illegal_lead_transition" and set(refused.json()) == SHAPE


def test_another_tenants_lead_is_404_even_for_a_member_of_both(alpha, beta, make_lead):
    from tenants.models import Membership

    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    lead, _ = make_lead(beta)
    client = client_for(alpha, user=beta.owner)
    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert client.get("/api/v1/leads/").json()["results"] == []
    assert client.post(f"/api/v1/leads/{lead.pk}/status/", {"status": "lost"}).status_code == 404
