"""The approvals queue: an agent's draft waits for the owner; approving publishes it through the same
service an owner's edit uses, rejecting changes nothing, a proposal past its week can't be approved,
a target that changed since is refused; the owner's page (members read, owners decide, htmx and
plain forms), the hourly expiry, the back office, and every step in the audit trail."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from django_tenants.utils import tenant_context

from chat.models import Approval, DomainEvent, MemoryEntry
from chat.services.approvals import (
    approval_approve,
    approval_reject,
    approval_transition,
    approvals_expire,
    memory_change_propose,
    page_publish_propose,
)
from chat.services.memory import memory_add, memory_update
from chat.tasks import approvals_expire_all
from contracts.models import ContractEvent
from contracts.services.events import Actor
from inkwell.errors import Conflict, NotAllowed
from marketing.models import Page
from marketing.services.pages import page_create, page_delete, page_publish, page_update
from tenants.models import AgentToken, AuditEvent, Membership, User
from tenants.services.agent_tokens import AgentIdentity, agent_token_create, agent_token_revoke
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "approval"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def agent(alpha):
    token = agent_token_create(
        tenant=alpha.tenant, name="SEO agent", scopes=["read", "write_content"], actor=alpha.owner
    ).token
    return AgentIdentity.of(token)


def agent_actor(agent):
    return Actor(type=ContractEvent.Actor.API, label=agent.label)


def owner_actor(world):
    return Actor(type=ContractEvent.Actor.OWNER, user=world.owner)


def propose_page(world, agent, *, slug="winter-moves", body="Winter moves, done right.", page=None):
    """What MCP publish_content does without the `publish` scope: the draft, then the proposal."""
    with tenant_context(world.tenant):
        if page is None:
            page = page_create(
                data={"slug": slug, "title": "Winter moves", "body": body}, actor=agent_actor(agent)
            )
        else:
            page = page_update(page=page, data={"body": body}, actor=agent_actor(agent))
        return page, page_publish_propose(page=page, agent=agent)


def published_page(world, slug="moving", body="Version one."):
    with tenant_context(world.tenant):
        page = page_create(data={"slug": slug, "title": "Moving", "body": body}, actor=owner_actor(world))
        page_publish(page=page, actor=owner_actor(world))
        return Page.objects.get(pk=page.pk)


def visitor(world, path):
    return Client(HTTP_HOST=world.host).get(path)


def reload(world, approval):
    with tenant_context(world.tenant):
        return Approval.objects.get(pk=approval.pk)


def decide(world, approval, user, how=approval_approve, via="dashboard"):
    with tenant_context(world.tenant):
        return how(approval_id=approval.pk, user=user, via=via)


def audits(world, action):
    return list(AuditEvent.objects.filter(tenant=world.tenant, action=action).order_by("pk"))


# --- proposing ------------------------------------------------------------------------------------


def test_a_draft_proposal_waits_with_the_agents_identity_a_diff_and_an_event(alpha, agent):
    with time_machine.travel(T0, tick=False):
        page, approval = propose_page(alpha, agent, body="Winter moves, done right.\nCall us.")
    assert visitor(alpha, "/winter-moves/").status_code == 404  # a draft until an owner says yes
    assert (approval.status, approval.kind, approval.agent_name) == ("pending", "page.publish", "SEO agent")
    assert approval.token_id == agent.token_id and approval.target_ref == f"page:{page.pk}"
    assert approval.created == T0 and approval.expires_at == T0 + timedelta(days=7)
    assert "+Winter moves, done right." in approval.preview["diff"].splitlines()
    assert approval.payload == {"page": page.pk, "revision": 1}
    with tenant_context(alpha.tenant):
        event = DomainEvent.objects.get(type="approval.requested")
    assert event.data["approval"] == approval.pk and event.actor_label == "agent SEO agent"
    [audit] = audits(alpha, "approval.requested")
    assert audit.actor is None and audit.actor_label == "agent SEO agent"
    assert audit.data["agent"] == "SEO agent" and audit.data["agent_token"] == agent.token_id


# --- approving and rejecting a page ----------------------------------------------------------------


def test_approving_publishes_the_draft_for_visitors_as_the_owner_on_the_agents_behalf(alpha, agent):
    page, approval = propose_page(alpha, agent)
    response = client_for(alpha, user=alpha.owner).post(f"/agents/approvals/{approval.pk}/approve/")
    assert response.status_code == 302 and response["Location"] == "/agents/approvals/"
    assert "Winter moves, done right." in visitor(alpha, "/winter-moves/").content.decode()
    approval = reload(alpha, approval)
    assert (approval.status, approval.decided_by_id, approval.decided_via) == (
        "approved",
        alpha.owner.pk,
        "dashboard",
    )
    assert approval.decided_by_label == alpha.owner.email and approval.result["revision"] == 2
    with tenant_context(alpha.tenant):
        live = Page.objects.get(pk=page.pk).published_revision
    assert (
        live.author_id == alpha.owner.pk
        and live.author_label == f"{alpha.owner.email}, approving agent SEO agent"
    )
    [audit] = audits(alpha, "approval.approved")
    assert audit.actor_id == alpha.owner.pk
    assert audit.data["agent"] == "SEO agent" and audit.data["via"] == "dashboard"
    assert audit.data["result"]["revision"] == 2


def test_rejecting_leaves_the_live_page_as_it_was(alpha, agent):
    page = published_page(alpha, body="Version one.")
    _, approval = propose_page(alpha, agent, page=page, body="Version two, by the agent.")
    assert (
        "-Version one." in approval.preview["diff"]
        and "+Version two, by the agent." in approval.preview["diff"]
    )
    response = client_for(alpha, user=alpha.owner).post(f"/agents/approvals/{approval.pk}/reject/", **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="approval-{approval.pk}"' in html and "Rejected: nothing was changed." in html
    assert "<html" not in html and "Approve" not in html  # the card alone, without its buttons now
    assert "Version one." in visitor(alpha, "/moving/").content.decode()
    assert "Version two" not in visitor(alpha, "/moving/").content.decode()
    approval = reload(alpha, approval)
    assert approval.status == "rejected" and approval.decided_by_id == alpha.owner.pk
    assert audits(alpha, "approval.rejected")[0].data["agent"] == "SEO agent"


def test_a_page_changed_since_the_proposal_is_refused_and_marked_failed(alpha, agent):
    page, approval = propose_page(alpha, agent)
    with tenant_context(alpha.tenant):
        page_update(page=page, data={"body": "The owner's own words."}, actor=owner_actor(alpha))
    with pytest.raises(Conflict) as refused:
        decide(alpha, approval, alpha.owner)
    assert refused.value.code == "changed_since_proposal" and refused.value.status_code == 409
    assert visitor(alpha, "/winter-moves/").status_code == 404  # nothing went live
    approval = reload(alpha, approval)
    assert approval.status == "failed" and approval.result["code"] == "changed_since_proposal"
    assert audits(alpha, "approval.failed")[0].actor_id == alpha.owner.pk
    with pytest.raises(Conflict) as again:  # failed is final
        decide(alpha, approval, alpha.owner)
    assert again.value.code == "illegal_approval_transition"


def test_a_page_published_by_hand_meanwhile_also_counts_as_changed(alpha, agent):
    page, approval = propose_page(alpha, agent)
    with tenant_context(alpha.tenant):
        page_publish(page=page, actor=owner_actor(alpha))
    with pytest.raises(Conflict, match="changed after the agent proposed"):
        decide(alpha, approval, alpha.owner)


def test_a_deleted_page_fails_with_its_own_code(alpha, agent):
    page, approval = propose_page(alpha, agent)
    with tenant_context(alpha.tenant):
        page_delete(page=page, actor=owner_actor(alpha))
    with pytest.raises(Conflict) as refused:
        decide(alpha, approval, alpha.owner)
    assert refused.value.code == "approval_target_gone" and reload(alpha, approval).status == "failed"


def test_refused_on_the_page_without_javascript_shows_why_with_409(alpha, agent):
    page, approval = propose_page(alpha, agent)
    with tenant_context(alpha.tenant):
        page_update(page=page, data={"title": "Renamed by the owner"}, actor=owner_actor(alpha))
    response = client_for(alpha, user=alpha.owner).post(f"/agents/approvals/{approval.pk}/approve/")
    assert response.status_code == 409
    assert "changed after the agent proposed this" in response.content.decode()
    # with htmx: the proposal's card comes back (2xx, or htmx would not swap it) saying why
    page, second = propose_page(alpha, agent, page=page, body="Again.")
    with tenant_context(alpha.tenant):
        page_update(page=page, data={"title": "Renamed again"}, actor=owner_actor(alpha))
    card = client_for(alpha, user=alpha.owner).post(f"/agents/approvals/{second.pk}/approve/", **HTMX)
    html = card.content.decode()
    assert card.status_code == 200 and f'id="approval-{second.pk}"' in html and 'role="alert"' in html
    assert "changed after the agent proposed this" in html and "could not be applied" in html


# --- expiry ---------------------------------------------------------------------------------------


def test_a_proposal_can_be_approved_at_seven_days_exactly_but_not_a_second_later(alpha, agent):
    with time_machine.travel(T0, tick=False):
        _, on_time = propose_page(alpha, agent, slug="on-time")
        _, late = propose_page(alpha, agent, slug="too-late")
    assert on_time.expires_at == T0 + timedelta(days=7)
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        assert approvals_in(alpha, approvals_expire) == 0  # the sweep agrees: not yet
        assert decide(alpha, on_time, alpha.owner).status == "approved"
    # the hourly sweep has not run: approving checks the clock itself
    with (
        time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False),
        pytest.raises(Conflict) as refused,
    ):
        decide(alpha, late, alpha.owner)
    assert refused.value.code == "approval_expired"
    assert visitor(alpha, "/on-time/").status_code == 200
    assert visitor(alpha, "/too-late/").status_code == 404
    late = reload(alpha, late)
    assert late.status == "expired" and late.decided_by_id is None and late.decided_via == "expiry"
    assert audits(alpha, "approval.expired")[0].actor_label == "system"


def test_an_expired_proposal_cannot_be_rejected_either_and_the_page_shows_it_expired(alpha, agent):
    with time_machine.travel(T0, tick=False):
        _, approval = propose_page(alpha, agent)
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        html = client_for(alpha, user=alpha.owner).get("/agents/approvals/").content.decode()
        assert "Nothing is waiting for you." in html and "status-expired" in html  # before any sweep
        with pytest.raises(Conflict, match="expired"):
            decide(alpha, approval, alpha.owner, how=approval_reject)
    assert reload(alpha, approval).status == "expired"


def approvals_in(world, work):
    with tenant_context(world.tenant):
        return work()


def test_the_hourly_beat_expires_proposals_past_their_time_in_every_tenant(alpha, beta, agent):
    with time_machine.travel(T0, tick=False):
        _, old = propose_page(alpha, agent, slug="old")
        _, beta_old = propose_page(beta, AgentIdentity(token_id=None, name="Beta bot"), slug="old")
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        _, fresh = propose_page(alpha, agent, slug="fresh")
    with time_machine.travel(T0 + timedelta(days=7, minutes=23), tick=False):
        approvals_expire_all.delay()  # the real fan-out, run inline (eager)
        approvals_expire_all.delay()  # and again: nothing more to do
    assert reload(alpha, old).status == "expired" and reload(beta, beta_old).status == "expired"
    assert reload(alpha, fresh).status == "pending"
    assert len(audits(alpha, "approval.expired")) == 1 and len(audits(beta, "approval.expired")) == 1
    with pytest.raises(Conflict) as refused:
        decide(alpha, old, alpha.owner)
    assert refused.value.code == "illegal_approval_transition"


# --- the state machine ----------------------------------------------------------------------------


@pytest.mark.parametrize("final", ["approved", "rejected", "expired", "failed"])
def test_a_decided_proposal_never_moves_again(alpha, agent, final):
    _, approval = propose_page(alpha, agent)
    with tenant_context(alpha.tenant):
        Approval.objects.filter(pk=approval.pk).update(status=final)
        approval.refresh_from_db()
        for to in ["pending", "approved", "rejected", "expired", "failed"]:
            with pytest.raises(Conflict) as refused:
                approval_transition(approval=approval, to=to, user=alpha.owner, via="dashboard")
            assert refused.value.code == "illegal_approval_transition"
        with pytest.raises(Conflict):
            approval_approve(approval_id=approval.pk, user=alpha.owner, via="telegram")


# --- memory changes ---------------------------------------------------------------------------------


def memory_proposal(world, agent, text="Yes, we move pianos: $250 per flight of stairs."):
    with tenant_context(world.tenant):
        entry, _ = memory_add(title="Do you move pianos?", text="Yes, we move pianos.", source="faq")
        return entry, memory_change_propose(entry=entry, title=entry.title, text=text, agent=agent)


def test_approving_a_memory_change_rewrites_the_entry(alpha, agent):
    entry, approval = memory_proposal(alpha, agent)
    assert "+Yes, we move pianos: $250 per flight of stairs." in approval.preview["diff"]
    approved = decide(alpha, approval, alpha.owner, via="telegram")
    assert approved.status == "approved" and approved.decided_via == "telegram"
    with tenant_context(alpha.tenant):
        entry.refresh_from_db()
    assert (
        entry.text == "Yes, we move pianos: $250 per flight of stairs."
        and entry.title == "Do you move pianos?"
    )
    assert audits(alpha, "approval.approved")[0].data["target"] == f"memory:{entry.pk}"


def test_rejecting_a_memory_change_keeps_the_entry(alpha, agent):
    entry, approval = memory_proposal(alpha, agent)
    assert decide(alpha, approval, alpha.owner, how=approval_reject).status == "rejected"
    with tenant_context(alpha.tenant):
        assert MemoryEntry.objects.get(pk=entry.pk).text == "Yes, we move pianos."


def test_a_memory_entry_changed_since_the_proposal_is_refused(alpha, agent):
    entry, approval = memory_proposal(alpha, agent)
    with tenant_context(alpha.tenant):
        memory_update(entry=entry, data={"text": "Pianos: ask us first."})
    with pytest.raises(Conflict) as refused:
        decide(alpha, approval, alpha.owner)
    assert refused.value.code == "changed_since_proposal"
    with tenant_context(alpha.tenant):
        assert MemoryEntry.objects.get(pk=entry.pk).text == "Pianos: ask us first."
    assert reload(alpha, approval).status == "failed"


def test_a_memory_change_the_memory_refuses_fails_and_changes_nothing(alpha, agent):
    entry, approval = memory_proposal(alpha, agent, text="We store boxes.")
    with tenant_context(alpha.tenant):
        memory_add(title="Do you move pianos?", text="We store boxes.", source="note")  # says it already
    with pytest.raises(Conflict) as refused:
        decide(alpha, approval, alpha.owner)
    assert refused.value.code == "approval_not_applicable"
    with tenant_context(alpha.tenant):
        assert MemoryEntry.objects.get(pk=entry.pk).text == "Yes, we move pianos."
    assert reload(alpha, approval).result["code"] == "approval_not_applicable"


# --- who decides -------------------------------------------------------------------------------------


def test_only_owners_decide_members_read(alpha, agent):
    _, approval = propose_page(alpha, agent)
    member = client_for(alpha, user=alpha.member)
    html = member.get("/agents/approvals/").content.decode()
    assert "Winter moves" in html and "Only an owner can approve or reject." in html
    assert f"/agents/approvals/{approval.pk}/approve/" not in html
    assert member.get(f"/agents/approvals/{approval.pk}/").status_code == 200
    assert member.post(f"/agents/approvals/{approval.pk}/approve/").status_code == 403
    assert member.post(f"/agents/approvals/{approval.pk}/reject/").status_code == 403
    # the service's own rule, whatever calls it (Telegram, a future page)
    with pytest.raises(NotAllowed) as refused:
        decide(alpha, approval, alpha.member, via="telegram")
    assert refused.value.code == "owner_required"
    assert reload(alpha, approval).status == "pending"
    assert visitor(alpha, "/winter-moves/").status_code == 404


def test_a_deactivated_owner_cannot_decide(alpha, agent):
    _, approval = propose_page(alpha, agent)
    User.objects.filter(pk=alpha.owner.pk).update(is_active=False)
    owner = User.objects.get(pk=alpha.owner.pk)  # not the session's shared object
    with pytest.raises(NotAllowed):
        decide(alpha, approval, owner, via="telegram")
    assert reload(alpha, approval).status == "pending"


def test_an_owner_of_both_tenants_cannot_decide_alphas_proposal_from_beta(alpha, beta, agent):
    _, approval = propose_page(alpha, agent)
    person = User.objects.create_user(email="both-approvals@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    on_beta = client_for(beta, user=person)
    assert on_beta.get(f"/agents/approvals/{approval.pk}/").status_code == 404
    assert on_beta.post(f"/agents/approvals/{approval.pk}/approve/").status_code == 404
    assert on_beta.post(f"/agents/approvals/{approval.pk}/reject/").status_code == 404
    assert "Winter moves" not in on_beta.get("/agents/approvals/").content.decode()
    assert reload(alpha, approval).status == "pending"
    # on alpha's own host the same person may
    assert client_for(alpha, user=person).post(f"/agents/approvals/{approval.pk}/approve/").status_code == 302


def test_anonymous_visitors_are_sent_to_sign_in(alpha, agent):
    _, approval = propose_page(alpha, agent)
    for path in ["/agents/approvals/", f"/agents/approvals/{approval.pk}/"]:
        assert "/sign-in/" in Client(HTTP_HOST=alpha.host).get(path)["Location"]
    assert Client(HTTP_HOST=alpha.host).post(f"/agents/approvals/{approval.pk}/approve/").status_code == 302
    assert reload(alpha, approval).status == "pending"


def test_the_area_follows_the_agents_toggle(alpha, agent):
    from tenants.models import TenantConfig

    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_agents=False)
    assert client_for(alpha, user=alpha.owner).get("/agents/approvals/").status_code == 404


# --- the owner's page -----------------------------------------------------------------------------------


def test_the_page_lists_pending_first_with_a_classed_diff_and_decided_ones_below(alpha, agent):
    page = published_page(alpha, body="Old line.")
    _, waiting = propose_page(alpha, agent, page=page, body="New <b>line</b>.")
    _, done = propose_page(alpha, agent, slug="other")
    decide(alpha, done, alpha.owner, how=approval_reject)
    owner = client_for(alpha, user=alpha.owner)
    response = owner.get("/agents/approvals/")
    html = response.content.decode()
    assert html.index(f'id="approval-{waiting.pk}"') < html.index(f'id="approval-row-{done.pk}"')
    assert "the agent <strong>SEO agent</strong>" in html and "expires " in html
    assert '<span class="diff-del">-Old line.</span>' in html
    assert '<span class="diff-add">+New &lt;b&gt;line&lt;/b&gt;.</span>' in html  # the agent's text is text
    assert f'hx-post="/agents/approvals/{waiting.pk}/approve/"' in html
    assert " style=" not in html and "<style" not in html  # CSP: classes only
    assert alpha.owner.email in html and "Rejected" in html  # who decided, and how it ended
    detail = owner.get(f"/agents/approvals/{waiting.pk}/").content.decode()
    assert "What it replaces" in detail and "Old line." in detail


# --- the back office -----------------------------------------------------------------------------------


def test_staff_see_proposals_read_only_and_decide_through_the_services(alpha, agent):
    _, approval = propose_page(alpha, agent)
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/approvals/"
    viewer = User.objects.create_user(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    looking = Client(HTTP_HOST="localhost")
    looking.force_login(viewer)
    html = looking.get(url).content.decode()
    assert "Winter moves" in html and "SEO agent" in html and 'value="approve"' not in html
    assert looking.post(url, {"action": "approve", "approval": approval.pk}).status_code == 403
    staff_user = User.objects.create_user(
        email="staff-approvals@example.com", is_staff=True, is_superuser=True
    )
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(staff_user)
    assert url in staff.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    response = staff.post(url, {"action": "approve", "approval": approval.pk}, follow=True)
    assert "approved and applied" in response.content.decode()
    approval = reload(alpha, approval)
    assert (approval.status, approval.decided_via, approval.decided_by_id) == (
        "approved",
        "admin",
        staff_user.pk,
    )
    assert visitor(alpha, "/winter-moves/").status_code == 200
    again = staff.post(url, {"action": "reject", "approval": approval.pk}, follow=True).content.decode()
    assert "already approved" in again


def test_the_page_costs_the_same_queries_however_many_proposals(alpha, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client_for(alpha, user=alpha.owner).get("/agents/approvals/").status_code == 200
        return len(queries)

    def add(n):
        for i in range(n):
            _, waiting = propose_page(alpha, agent, slug=f"p{n}-{i}")
            _, done = propose_page(alpha, agent, slug=f"d{n}-{i}")
            decide(alpha, done, alpha.owner, how=approval_reject)

    add(1)
    few = count()
    add(4)
    assert count() == few


def test_deciding_waits_for_the_row_lock_so_two_decisions_cannot_both_win(alpha):
    """While one decision holds the proposal's row (select_for_update), another can't read it as
    pending: with a short lock_timeout it is refused instead of deciding too."""
    import threading

    from django.db import OperationalError, close_old_connections, connection, transaction

    from chat.services.approvals import approval_lock
    from tests.conftest import on_own_connection

    agent = AgentIdentity(token_id=None, name="Racing agent")

    def setup():
        with tenant_context(alpha.tenant):
            entry, _ = memory_add(text="Racing: we ship cars.", source="note")
            return memory_change_propose(entry=entry, title="", text="Racing: we ship boats.", agent=agent).pk

    def second_decision():
        with tenant_context(alpha.tenant):
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
            try:
                approval_approve(approval_id=pk, user=alpha.owner, via="dashboard")
            except OperationalError:
                return "waited for the lock"
            return "decided"

    def status():
        with tenant_context(alpha.tenant):
            return Approval.objects.get(pk=pk).status

    def teardown():
        with tenant_context(alpha.tenant):
            Approval.objects.filter(agent_name="Racing agent").delete()
            MemoryEntry.objects.filter(text__startswith="Racing").delete()
            DomainEvent.objects.filter(actor_label="agent Racing agent").delete()
        AuditEvent.objects.filter(tenant=alpha.tenant, data__agent="Racing agent").delete()

    pk = on_own_connection(setup)
    locked, release = threading.Event(), threading.Event()

    def first_decision():
        try:
            with tenant_context(alpha.tenant), transaction.atomic():
                approval_lock(pk)
                locked.set()
                release.wait()
        finally:
            locked.set()
            close_old_connections()
            connection.close()

    holder = threading.Thread(target=first_decision)
    try:
        holder.start()
        locked.wait()
        assert on_own_connection(second_decision) == "waited for the lock"
        release.set()
        holder.join()
        assert on_own_connection(status) == "pending"
    finally:
        release.set()
        holder.join()
        on_own_connection(teardown)


def test_a_proposal_made_with_only_the_schema_set_is_audited_to_its_tenant(alpha):
    # An adapter outside Django's middleware (the MCP endpoint, a task) may set the schema by name only.
    from django.db import connection

    connection.set_schema(alpha.tenant.schema_name)
    entry, _ = memory_add(text="We move pianos.", source="faq")
    memory_change_propose(
        entry=entry, title="", text="We move pianos and organs.", agent=AgentIdentity(None, "Bot")
    )
    [audit] = audits(alpha, "approval.requested")
    assert audit.data["agent"] == "Bot"


# --- a revoked agent's proposals ------------------------------------------------------------------------


def test_revoking_the_token_withdraws_what_the_agent_proposed_and_nothing_else(alpha, agent):
    _, theirs = propose_page(alpha, agent)
    other = AgentIdentity.of(
        agent_token_create(
            tenant=alpha.tenant, name="Content agent", scopes=["write_content"], actor=None
        ).token
    )
    _, others = propose_page(alpha, other, slug="spring-moves")
    agent_token_revoke(token=AgentToken.objects.get(pk=agent.token_id), actor=alpha.owner)
    with tenant_context(alpha.tenant):
        theirs.refresh_from_db()
        others.refresh_from_db()
        assert (theirs.status, theirs.decided_via, theirs.result) == (
            Approval.Status.REJECTED,
            "revoked",
            {"code": "token_revoked"},
        )
        assert others.status == Approval.Status.PENDING
        with pytest.raises(Conflict):
            approval_approve(approval_id=theirs.pk, user=alpha.owner, via="dashboard")
        assert not Page.objects.get(slug="winter-moves").is_published
