"""The approvals queue over the API (/api/v1/agents/approvals/): owners list, filter, read, approve and
reject; illegal moves answer 409 with a code; members and API keys get 403; another tenant's owner
gets 404; bad input 400."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import Approval
from contracts.models import ContractEvent
from contracts.services.events import Actor
from marketing.services.pages import page_create, page_update
from tenants.models import Membership, User
from tenants.services.agent_tokens import AgentIdentity
from tenants.services.apikeys import apikey_create
from tests.api.conftest import key_client
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
AGENT = AgentIdentity(token_id=None, name="SEO agent")
BASE = "/api/v1/agents/approvals/"


def propose(world, slug="winter-moves"):
    from chat.services.approvals import page_publish_propose

    with tenant_context(world.tenant):
        page = page_create(
            data={"slug": slug, "title": "Winter moves", "body": "Done right."},
            actor=Actor(type=ContractEvent.Actor.API, label=AGENT.label),
        )
        return page, page_publish_propose(page=page, agent=AGENT)


def status_of(world, approval):
    with tenant_context(world.tenant):
        return Approval.objects.get(pk=approval.pk).status


def test_owner_lists_filters_reads_and_approves(alpha):
    _, first = propose(alpha, "first")
    _, second = propose(alpha, "second")
    api = client_for(alpha, user=alpha.owner)
    rejected = api.post(f"{BASE}{first.pk}/reject/")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (
        rejected.json()["decided_via"] == "api" and rejected.json()["decided_by_label"] == alpha.owner.email
    )
    listed = api.get(BASE).json()
    assert [a["id"] for a in listed["results"]] == [second.pk, first.pk]  # pending first
    assert listed["results"][0]["agent_name"] == "SEO agent" and "preview" not in listed["results"][0]
    assert [a["id"] for a in api.get(f"{BASE}?status=pending").json()["results"]] == [second.pk]
    assert [a["id"] for a in api.get(f"{BASE}?status=rejected").json()["results"]] == [first.pk]
    detail = api.get(f"{BASE}{second.pk}/").json()
    assert detail["status"] == "pending" and "+Done right." in detail["preview"]["diff"]
    approved = api.post(f"{BASE}{second.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["result"]["path"] == "/second/"
    assert client_for(alpha).get("/second/").status_code == 200


def test_illegal_moves_answer_409_with_a_code(alpha):
    _, approval = propose(alpha)
    api = client_for(alpha, user=alpha.owner)
    assert api.post(f"{BASE}{approval.pk}/approve/").status_code == 200
    for action in ("approve", "reject"):
        response = api.post(f"{BASE}{approval.pk}/{action}/")
        assert response.status_code == 409
        assert response.json()["code"] == "illegal_approval_transition" and response.json()["message"]
    assert status_of(alpha, approval) == "approved"


def test_changed_since_proposal_and_expired_answer_409(alpha):
    page, changed = propose(alpha, "changed")
    with tenant_context(alpha.tenant):
        page_update(page=page, data={"body": "Edited."}, actor=Actor(type="owner", user=alpha.owner))
    api = client_for(alpha, user=alpha.owner)
    response = api.post(f"{BASE}{changed.pk}/approve/")
    assert (response.status_code, response.json()["code"]) == (409, "changed_since_proposal")
    assert api.get(f"{BASE}{changed.pk}/").json()["status"] == "failed"  # recorded despite the 409
    _, late = propose(alpha, "late")
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        assert api.get(f"{BASE}{late.pk}/").json()["status"] == "expired"  # before the sweep
        assert [a["id"] for a in api.get(f"{BASE}?status=expired").json()["results"]] == [late.pk]
        response = api.post(f"{BASE}{late.pk}/approve/")
    assert (response.status_code, response.json()["code"]) == (409, "approval_expired")
    assert status_of(alpha, late) == "expired"


def test_members_and_api_keys_get_403(alpha):
    _, approval = propose(alpha)
    alpha_key = apikey_create(tenant=alpha.tenant, label="Alpha's CRM", actor=None).key
    for client in (client_for(alpha, user=alpha.member), key_client(alpha, alpha_key)):
        assert client.get(BASE).status_code == 403
        assert client.get(f"{BASE}{approval.pk}/").status_code == 403
        response = client.post(f"{BASE}{approval.pk}/approve/")
        assert response.status_code == 403 and response.json()["code"]
    assert status_of(alpha, approval) == "pending"


def test_an_owner_of_both_tenants_gets_404_for_alphas_proposal_on_betas_host(alpha, beta):
    _, approval = propose(alpha)
    person = User.objects.create_user(email="both-approvals-api@example.com")
    for world in (alpha, beta):
        Membership.objects.create(user=person, tenant=world.tenant, role=Membership.Role.OWNER)
    on_beta = client_for(beta, user=person)
    assert on_beta.get(f"{BASE}{approval.pk}/").status_code == 404
    for action in ("approve", "reject"):
        response = on_beta.post(f"{BASE}{approval.pk}/{action}/")
        assert (response.status_code, response.json()["code"]) == (404, "approval_not_found")
    assert on_beta.get(BASE).json()["results"] == []
    assert status_of(alpha, approval) == "pending"


def test_bad_input_is_400_or_404_and_changes_nothing(alpha):
    _, approval = propose(alpha)
    api = client_for(alpha, user=alpha.owner)
    response = api.get(f"{BASE}?status=maybe")
    assert response.status_code == 400 and "status" in response.json()["fields"]
    assert api.post(f"{BASE}999999/approve/").status_code == 404
    assert api.get(f"{BASE}{approval.pk}/approve/").status_code == 405
    assert status_of(alpha, approval) == "pending"
