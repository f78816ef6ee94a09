"""Tenant API keys: made once, stored as a digest, valid on their own tenant's host only."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tenants.models import ApiKey, AuditEvent, Membership
from tenants.services.apikeys import apikey_create, apikey_revoke
from tests.conftest import client_for

SHAPE = {"code", "message", "fields"}


def key_for(world, label="Quote form"):
    return apikey_create(tenant=world.tenant, label=label, actor=world.owner).key


def api(world, key=None):
    extra = {"HTTP_AUTHORIZATION": f"Api-Key {key}"} if key is not None else {}
    return client_for(world, **extra)


def test_the_key_is_long_and_only_its_digest_is_stored(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Quote form", actor=alpha.owner)
    assert new.key.startswith("iw_") and len(new.key) >= 3 + 43  # 32 random bytes, base64url
    stored = ApiKey.objects.get(pk=new.api_key.pk)
    assert stored.digest == hashlib.sha256(new.key.encode()).hexdigest()
    assert new.key not in {stored.digest, stored.prefix, stored.label}


def test_no_key_is_401_with_a_challenge(alpha):
    response = api(alpha).get("/api/v1/contracts/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
    assert set(response.json()) == SHAPE and response.json()["code"] == "not_authenticated"


def test_a_valid_key_works(alpha):
    assert api(alpha, key_for(alpha)).get("/api/v1/contracts/").status_code == 200


@pytest.mark.parametrize("bad", ["iw_made-up", "", "a b"])
def test_unknown_keys_are_401(alpha, bad):
    key_for(alpha)
    response = api(alpha, bad).get("/api/v1/contracts/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_revoked_key_is_refused(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Old", actor=alpha.owner)
    assert api(alpha, new.key).get("/api/v1/contracts/").status_code == 200
    apikey_revoke(api_key=new.api_key, actor=alpha.owner)
    assert api(alpha, new.key).get("/api/v1/contracts/").status_code == 401


def test_another_tenants_key_is_exactly_an_unknown_key(alpha, beta):
    betas_key = key_for(beta)
    foreign = api(alpha, betas_key).get("/api/v1/contracts/")
    unknown = api(alpha, "iw_" + "x" * 43).get("/api/v1/contracts/")
    assert foreign.status_code == unknown.status_code == 401
    assert foreign.json() == unknown.json() and foreign["WWW-Authenticate"] == unknown["WWW-Authenticate"]
    assert api(beta, betas_key).get("/api/v1/contracts/").status_code == 200


def test_last_used_is_written_at_most_once_a_minute(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Busy", actor=alpha.owner)
    client = api(alpha, new.key)
    client.get("/api/v1/contracts/")
    first = ApiKey.objects.get(pk=new.api_key.pk).last_used_at
    assert first is not None
    client.get("/api/v1/contracts/")
    assert ApiKey.objects.get(pk=new.api_key.pk).last_used_at == first
    ApiKey.objects.filter(pk=new.api_key.pk).update(last_used_at=first - timedelta(seconds=60))
    client.get("/api/v1/contracts/")
    assert ApiKey.objects.get(pk=new.api_key.pk).last_used_at > first


def test_a_key_is_not_a_member_for_session_only_apis(alpha):
    # /api/v1/me/ and the config API are for signed-in people: a key is known there, but not allowed.
    assert api(alpha, key_for(alpha)).get("/api/v1/me/").status_code == 403


def test_the_command_prints_a_working_key_once(alpha, capsys):
    call_command("apikey_create", tenant="alpha", name="CRM import")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiKey.objects.get(tenant=alpha.tenant).label == "CRM import"
    assert api(alpha, key).get("/api/v1/contracts/").status_code == 200


def test_the_command_refuses_an_unknown_tenant(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("apikey_create", tenant="nobody", name="x")


# --- Dashboard settings: owners only ---------------------------------------------------------------


def test_owner_creates_a_key_and_sees_it_once(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.post("/dashboard/settings/api-keys/", {"label": "Website"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    api_key = ApiKey.objects.get(tenant=alpha.tenant)
    key = next(word for word in response.content.decode().split() if word.startswith('class="secret">iw_'))
    key = key.removeprefix('class="secret">').split("<")[0]
    assert hashlib.sha256(key.encode()).hexdigest() == api_key.digest
    listing = client.get("/dashboard/settings/").content.decode()
    assert "Website" in listing and key not in listing and api_key.prefix in listing


def test_owner_revokes_a_key(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Old", actor=alpha.owner)
    response = client_for(alpha, user=alpha.owner).post(
        f"/dashboard/settings/api-keys/{new.api_key.pk}/revoke/"
    )
    assert response.status_code == 200 and "revoked" in response.content.decode()
    assert ApiKey.objects.get(pk=new.api_key.pk).revoked_at is not None


def test_members_cannot_manage_keys(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Old", actor=alpha.owner)
    client = client_for(alpha, user=alpha.member)
    assert client.post("/dashboard/settings/api-keys/", {"label": "Mine"}).status_code == 403
    assert client.post(f"/dashboard/settings/api-keys/{new.api_key.pk}/revoke/").status_code == 403
    assert list(ApiKey.objects.values_list("label", "revoked_at")) == [("Old", None)]


def test_an_owner_of_both_cannot_revoke_the_other_tenants_key_from_this_host(alpha, beta):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    betas = apikey_create(tenant=beta.tenant, label="Beta's", actor=beta.owner)
    client = client_for(alpha, user=alpha.owner)
    assert client.post(f"/dashboard/settings/api-keys/{betas.api_key.pk}/revoke/").status_code == 404
    assert ApiKey.objects.get(pk=betas.api_key.pk).revoked_at is None
    assert "Beta's" not in client.get("/dashboard/settings/").content.decode()


def test_an_empty_label_is_a_form_error(alpha):
    response = client_for(alpha, user=alpha.owner).post("/dashboard/settings/api-keys/", {"label": " "})
    assert response.status_code == 400 and not ApiKey.objects.exists()


def test_create_and_revoke_are_audited_once_without_the_key(alpha):
    new = apikey_create(tenant=alpha.tenant, label="Old", actor=alpha.owner)
    first = apikey_revoke(api_key=new.api_key, actor=alpha.owner).revoked_at
    assert apikey_revoke(api_key=new.api_key, actor=alpha.owner).revoked_at == first <= timezone.now()
    events = AuditEvent.objects.filter(tenant=alpha.tenant, action__startswith="apikey.")
    assert sorted(e.action for e in events) == ["apikey.created", "apikey.revoked"]
    assert all(e.actor_id == alpha.owner.pk and new.key not in str(e.data) for e in events)
