"""Owners manage their team from settings: invite (a welcome link by email), change roles, remove.
The last owner always stays, even when two owners act at once; nothing crosses to another tenant."""

import threading

import pytest
from django.core import mail
from django.db import close_old_connections

from tenants.models import AuditEvent, Membership, User
from tests.conftest import client_for, on_own_connection

pytestmark = pytest.mark.django_db


def _membership(world, user):
    return Membership.objects.get(tenant=world.tenant, user=user)


def test_an_owner_invites_a_new_person_who_gets_a_sign_in_link(alpha, django_capture_on_commit_callbacks):
    owner = client_for(alpha, user=alpha.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            "/dashboard/settings/team/invite/", {"email": "New.Hire@Example.com", "role": "member"}
        )
    assert response.status_code == 200 and "Invited new.hire@example.com" in response.content.decode()
    user = User.objects.get(email="new.hire@example.com")
    assert _membership(alpha, user).role == "member"
    [email] = [m for m in mail.outbox if "new.hire@example.com" in m.to]
    assert "/sign-in/link/" in email.body and "alpha.localhost" in email.body
    assert AuditEvent.objects.filter(action="team.invited", tenant=alpha.tenant, actor=alpha.owner).exists()


def test_inviting_someone_already_in_the_team_or_a_bad_address_is_refused(alpha):
    owner = client_for(alpha, user=alpha.owner)
    again = owner.post("/dashboard/settings/team/invite/", {"email": alpha.member.email, "role": "owner"})
    assert again.status_code == 409 and "already in the team" in again.content.decode()
    assert _membership(alpha, alpha.member).role == "member"
    bad = owner.post("/dashboard/settings/team/invite/", {"email": "not-an-address", "role": "member"})
    assert bad.status_code == 400 and Membership.objects.filter(tenant=alpha.tenant).count() == 2


def test_roles_change_but_the_last_owner_stays(alpha):
    owner = client_for(alpha, user=alpha.owner)
    mine = _membership(alpha, alpha.owner)
    refused = owner.post(f"/dashboard/settings/team/{mine.pk}/role/", {"role": "member"})
    assert refused.status_code == 409 and "at least one owner" in refused.content.decode()
    assert owner.post(f"/dashboard/settings/team/{mine.pk}/remove/").status_code == 409
    theirs = _membership(alpha, alpha.member)
    assert owner.post(f"/dashboard/settings/team/{theirs.pk}/role/", {"role": "owner"}).status_code == 200
    # with two owners, one may step down
    assert owner.post(f"/dashboard/settings/team/{mine.pk}/role/", {"role": "member"}).status_code == 200
    assert _membership(alpha, alpha.owner).role == "member"


def test_a_removed_member_is_out_at_their_next_request(alpha):
    member = client_for(alpha, user=alpha.member)
    assert member.get("/leads/").status_code == 200
    theirs = _membership(alpha, alpha.member)
    assert (
        client_for(alpha, user=alpha.owner).post(f"/dashboard/settings/team/{theirs.pk}/remove/").status_code
        == 200
    )
    assert not Membership.objects.filter(pk=theirs.pk).exists()
    assert member.get("/leads/").status_code == 404


def test_members_cannot_manage_the_team(alpha):
    member = client_for(alpha, user=alpha.member)
    mine = _membership(alpha, alpha.owner)
    assert (
        member.post(
            "/dashboard/settings/team/invite/", {"email": "x@example.com", "role": "owner"}
        ).status_code
        == 403
    )
    assert member.post(f"/dashboard/settings/team/{mine.pk}/remove/").status_code == 403
    assert Membership.objects.filter(tenant=alpha.tenant).count() == 2


def test_an_owner_of_both_tenants_cannot_touch_one_teams_people_from_the_other_host(alpha, beta):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    on_beta = client_for(beta, user=alpha.owner)
    alphas_member = _membership(alpha, alpha.member)
    assert on_beta.post(f"/dashboard/settings/team/{alphas_member.pk}/remove/").status_code == 404
    assert (
        on_beta.post(f"/dashboard/settings/team/{alphas_member.pk}/role/", {"role": "owner"}).status_code
        == 404
    )
    assert _membership(alpha, alpha.member).role == "member"


def test_two_owners_removing_each_other_at_once_leave_one_owner(alpha):
    """Real concurrent connections: each owner removes the other; the owners' row locks make one
    wait for the other's commit and then see it was the last owner."""
    from tenants.services.team import member_remove

    def setup():
        second = User.objects.create_user(email="second-owner@alpha.example")
        Membership.objects.create(user=second, tenant=alpha.tenant, role=Membership.Role.OWNER)
        return second

    def teardown():
        Membership.objects.filter(user__email="second-owner@alpha.example").delete()
        User.objects.filter(email="second-owner@alpha.example").delete()
        Membership.objects.get_or_create(user=alpha.owner, tenant=alpha.tenant, defaults={"role": "owner"})
        AuditEvent.objects.filter(tenant=alpha.tenant, action="team.removed").delete()

    second = on_own_connection(setup)
    outcomes = []
    barrier = threading.Barrier(2)

    def remove(actor, target):
        def run():
            try:
                membership = Membership.objects.get(tenant=alpha.tenant, user=target)
                barrier.wait()
                member_remove(membership=membership, actor=actor)
                outcomes.append("removed")
            except Exception as exc:  # noqa: BLE001 -- the losing side's Conflict, asserted below
                outcomes.append(getattr(exc, "code", repr(exc)))
            finally:
                close_old_connections()

        return threading.Thread(target=run)

    try:
        threads = [remove(alpha.owner, second), remove(second, alpha.owner)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["last_owner", "removed"]
        owners = on_own_connection(
            lambda: Membership.objects.filter(tenant=alpha.tenant, role="owner").count()
        )
        assert owners == 1
    finally:
        on_own_connection(teardown)
