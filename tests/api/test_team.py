"""/api/v1/team/: everyone on the team is listed; owners invite, change roles and remove; the last
owner stays."""

from tenants.models import Membership
from tests.api.conftest import key_client
from tests.conftest import client_for


def _owner(world):
    return client_for(world, user=world.owner)


def test_members_and_keys_list_the_team(alpha, alpha_key):
    for client in (client_for(alpha, user=alpha.member), key_client(alpha, alpha_key)):
        body = client.get("/api/v1/team/").json()
        assert body["count"] == 2
        assert {(m["email"], m["role"]) for m in body["results"]} == {
            (alpha.owner.email, "owner"),
            (alpha.member.email, "member"),
        }
    owners = key_client(alpha, alpha_key).get("/api/v1/team/?role=owner").json()["results"]
    assert [m["email"] for m in owners] == [alpha.owner.email]
    assert key_client(alpha, alpha_key).get("/api/v1/team/?role=boss").status_code == 400


def test_owner_invites_changes_role_and_removes(alpha, mailoutbox, django_capture_on_commit_callbacks):
    owner = _owner(alpha)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            "/api/v1/team/", {"email": "New@Example.com", "role": "member"}, content_type="application/json"
        )
    assert response.status_code == 201
    pk = response.json()["id"]
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    response = owner.post("/api/v1/team/", {"email": "new@example.com"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "already_member"
    response = owner.patch(f"/api/v1/team/{pk}/", {"role": "owner"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["role"] == "owner"
    assert owner.delete(f"/api/v1/team/{pk}/").status_code == 204
    assert not Membership.objects.filter(pk=pk).exists()


def test_invalid_team_writes_are_field_errors(alpha):
    owner = _owner(alpha)
    member_pk = Membership.objects.get(tenant=alpha.tenant, user=alpha.member).pk
    for path, method, body, field in [
        ("/api/v1/team/", "post", {"email": "not an email"}, "email"),
        ("/api/v1/team/", "post", {"email": "a@example.com", "role": "boss"}, "role"),
        ("/api/v1/team/", "post", {"email": "a@example.com", "tenant": 1}, "tenant"),
        (f"/api/v1/team/{member_pk}/", "patch", {"role": ""}, "role"),
        (f"/api/v1/team/{member_pk}/", "patch", {}, "role"),
    ]:
        response = getattr(owner, method)(path, body, content_type="application/json")
        assert response.status_code == 400, (path, body)
        assert field in response.json()["fields"]
    assert Membership.objects.filter(tenant=alpha.tenant).count() == 2


def test_the_last_owner_stays(alpha):
    owner = _owner(alpha)
    pk = Membership.objects.get(tenant=alpha.tenant, user=alpha.owner).pk
    for response in (
        owner.delete(f"/api/v1/team/{pk}/"),
        owner.patch(f"/api/v1/team/{pk}/", {"role": "member"}, content_type="application/json"),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "last_owner"
    assert Membership.objects.get(pk=pk).role == Membership.Role.OWNER
