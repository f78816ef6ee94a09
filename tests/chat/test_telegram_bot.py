"""The Telegram bot through its webhook, as Telegram calls it: the secret, duplicates, linking a chat
with a one-time code, every command for a linked owner and for a stranger, the Approve / Reject
buttons, and a chat linked to one business never seeing another's."""

import hashlib
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import Subscription
from chat.models import Agent, Approval
from chat.services.tasks import task_claim, task_create, task_transition, task_update
from chat.telegram import commands
from chat.telegram.commands import NOT_LINKED
from chat.telegram.links import telegram_link_code_create
from chat.telegram.webhook import MAX_BODY
from marketing.models import IngestionRun
from tenants.models import (
    Membership,
    TelegramLink,
    TelegramLinkCode,
    TelegramUpdate,
    Tenant,
    TenantConfig,
    User,
)
from tests.chat.telegram_helpers import (
    CHAT,
    callback,
    install_decisions,
    link_chat,
    make_lead,
    message,
    post,
    propose_page,
    said,
    sent,
)

pytestmark = pytest.mark.django_db
STRANGER = 700_999


@pytest.fixture
def decisions(monkeypatch):
    install_decisions(monkeypatch)


# --- the webhook itself -------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "test-telegram-secreT", "test-telegram-secret-and-more"])
def test_a_forged_or_missing_secret_is_refused_and_nothing_is_answered(public_client, alpha, secret):
    link_chat(alpha)
    response = post(public_client, message(CHAT, "/status"), secret=secret)
    assert response.status_code == 403
    assert sent(CHAT) == [] and not TelegramUpdate.objects.exists()


def test_the_right_secret_is_answered(public_client, alpha):
    link_chat(alpha)
    assert post(public_client, message(CHAT, "/help")).status_code == 200
    assert "/approve" in sent(CHAT)[0].body


def test_a_redelivered_update_is_answered_once(public_client, alpha):
    link_chat(alpha)
    update = message(CHAT, "/help")
    assert post(public_client, update).status_code == 200
    assert post(public_client, update).status_code == 200
    assert len(sent(CHAT)) == 1
    assert TelegramUpdate.objects.filter(update_id=update["update_id"]).count() == 1


def _padded(size: int) -> bytes:
    update = message(STRANGER, "/help")
    update["pad"] = ""
    body = json.dumps(update).encode()
    update["pad"] = "x" * (size - len(body))
    return json.dumps(update).encode()


def test_the_body_is_bounded_at_the_limit_and_one_past(public_client, db):
    at_limit = _padded(MAX_BODY)
    assert len(at_limit) == MAX_BODY
    assert post(public_client, at_limit).status_code == 200
    assert len(sent(STRANGER)) == 1
    assert post(public_client, _padded(MAX_BODY + 1)).status_code == 413
    assert len(sent(STRANGER)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b'{"update_id": -1}',
        b'{"update_id": 9223372036854775808}',
    ],
)
def test_what_is_not_an_update_is_refused(public_client, db, body):
    assert post(public_client, body).status_code == 400
    assert not TelegramUpdate.objects.exists()


def test_the_webhook_takes_only_post(public_client, db):
    assert public_client.get("/telegram/webhook/").status_code == 405


def test_a_failing_command_is_logged_and_not_redelivered(public_client, alpha, monkeypatch, caplog):
    link_chat(alpha)

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(commands, "status_reply", broken)
    update = message(CHAT, "/status")
    assert post(public_client, update).status_code == 200
    assert TelegramUpdate.objects.filter(update_id=update["update_id"]).exists()
    assert "could not be handled" in caplog.text


def test_updates_without_a_message_need_no_answer(public_client, alpha):
    link_chat(alpha)
    update = {"update_id": 123_456, "edited_message": message(CHAT, "/status")["message"]}
    assert post(public_client, update).status_code == 200
    assert sent(CHAT) == []


# --- linking ----------------------------------------------------------------------------------


def test_a_one_time_code_links_the_chat_to_its_owner(public_client, alpha):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    assert new.url == f"https://t.me/InkwellDemoBot?start={new.code}"
    stored = TelegramLinkCode.objects.get()
    assert stored.digest == hashlib.sha256(new.code.encode()).hexdigest() and new.code not in stored.digest
    assert timedelta(minutes=9) < stored.expires_at - timezone.now() <= timedelta(minutes=10)

    reply = said(public_client, CHAT, f"/start {new.code}")
    assert "linked to <b>Alpha Movers</b>" in reply
    link = TelegramLink.objects.get(chat_id=CHAT)
    assert (link.tenant, link.user, link.chat_label) == (alpha.tenant, alpha.owner, "Ada (@ada)")


def test_a_used_code_does_not_link_a_second_chat(public_client, alpha):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    said(public_client, CHAT, f"/start {new.code}")
    reply = said(public_client, STRANGER, f"/start {new.code}")
    assert "used already" in reply
    assert not TelegramLink.objects.filter(chat_id=STRANGER).exists()
    assert "isn't linked" in said(public_client, STRANGER, "/status")


@pytest.mark.parametrize(
    "left, works", [(timedelta(seconds=1), True), (timedelta(0), False), (-timedelta(seconds=1), False)]
)
def test_a_code_works_until_it_expires(public_client, alpha, left, works):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    TelegramLinkCode.objects.update(expires_at=timezone.now() + left)
    reply = said(public_client, CHAT, f"/start {new.code}")
    assert TelegramLink.objects.filter(chat_id=CHAT).exists() is works
    assert ("has expired" in reply) is not works


def test_an_unknown_code_links_nothing(public_client, alpha):
    reply = said(public_client, CHAT, "/start made-up-code")
    assert "don't recognise" in reply and not TelegramLink.objects.exists()


def test_a_group_chat_cannot_be_linked(public_client, alpha):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    post(public_client, message(-100_123, f"/start {new.code}", chat_type="supergroup"))
    assert "private chat" in sent(-100_123)[0].body
    assert not TelegramLink.objects.exists()
    assert TelegramLinkCode.objects.get().used_at is None  # still good for the owner's own chat


def test_a_code_of_someone_no_longer_an_owner_links_nothing(public_client, alpha):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    Membership.objects.filter(user=alpha.owner, tenant=alpha.tenant).update(role=Membership.Role.MEMBER)
    said(public_client, CHAT, f"/start {new.code}")
    assert not TelegramLink.objects.exists()


def test_linking_again_moves_the_chat_to_the_other_business(public_client, alpha, beta):
    link_chat(alpha)
    new = telegram_link_code_create(tenant=beta.tenant, user=beta.owner)
    said(public_client, CHAT, f"/start {new.code}")
    assert TelegramLink.objects.get(chat_id=CHAT).tenant == beta.tenant


# --- an unlinked chat, and links that no longer hold ------------------------------------------------


@pytest.mark.parametrize("text", ["/status", "/report", "/leads", "/approve", "/help", "/start", "hello"])
def test_an_unlinked_chat_gets_a_polite_refusal_for_everything(public_client, alpha, text):
    make_lead(alpha, "Alpha Customer")
    reply = said(public_client, STRANGER, text)
    assert reply == NOT_LINKED
    assert sent(STRANGER)[0].tenant is None


def test_an_unlinked_chat_cannot_press_buttons(public_client, alpha, decisions):
    approval = propose_page(alpha, "winter-moving")
    post(public_client, callback(STRANGER, f"approve:{approval.pk}"))
    assert "isn't linked" in sent(STRANGER, "answerCallbackQuery")[0].body
    with tenant_context(alpha.tenant):
        assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING


def test_a_link_whose_owner_became_a_member_is_refused(public_client, alpha):
    link_chat(alpha)
    Membership.objects.filter(user=alpha.owner, tenant=alpha.tenant).update(role=Membership.Role.MEMBER)
    assert "no longer an owner" in said(public_client, CHAT, "/leads")


def test_a_link_whose_person_was_deactivated_is_refused(public_client, alpha):
    """A deactivated account (staff switched it off) can't sign in to the dashboard; its Telegram
    chat must not keep reading the business's leads nor approving for it either."""
    link_chat(alpha)
    make_lead(alpha, "Secret Customer")
    approval = propose_page(alpha, "deactivated-owner")
    User.objects.filter(pk=alpha.owner.pk).update(is_active=False)
    reply = said(public_client, CHAT, "/leads")
    assert "Secret Customer" not in reply and "no longer an owner" in reply
    post(public_client, callback(CHAT, f"approve:{approval.pk}"))
    with tenant_context(alpha.tenant):
        assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING


def test_a_code_of_a_deactivated_person_links_nothing(public_client, alpha):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    User.objects.filter(pk=alpha.owner.pk).update(is_active=False)
    said(public_client, CHAT, f"/start {new.code}")
    assert not TelegramLink.objects.exists()


def test_a_link_is_refused_while_agent_access_is_off(public_client, alpha):
    link_chat(alpha)
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_agents=False)
    assert "switched off" in said(public_client, CHAT, "/status")


def test_a_link_is_refused_while_the_business_is_suspended(public_client, alpha):
    link_chat(alpha)
    alpha.tenant.status = "suspended"
    alpha.tenant.save(update_fields=["status"])
    assert "not active" in said(public_client, CHAT, "/leads")


# --- the commands ---------------------------------------------------------------------------------


def test_help_and_unknown_commands(public_client, alpha):
    link_chat(alpha)
    reply = said(public_client, CHAT, "/help@InkwellDemoBot")
    assert all(command in reply for command in ("/status", "/report", "/leads", "/approve"))
    assert "/help lists" in said(public_client, CHAT, "/frobnicate")


def test_status_tells_plan_subscription_last_fetch_and_approvals(public_client, alpha):
    link_chat(alpha)
    alpha.tenant.plan = "full"
    alpha.tenant.save(update_fields=["plan"])
    Subscription.objects.create(
        stripe_id="sub_tg", tenant=alpha.tenant, plan="full", status="active",
        current_period_end=timezone.now() + timedelta(days=20),
    )  # fmt: skip
    with tenant_context(alpha.tenant):
        IngestionRun.objects.create(
            connector="demo", window_start=timezone.now().date(), window_end=timezone.now().date(),
            status=IngestionRun.Status.SUCCEEDED, rows=1234, finished=timezone.now(),
        )  # fmt: skip
    propose_page(alpha, "spring-moving")
    propose_page(alpha, "summer-moving")
    reply = said(public_client, CHAT, "/status")
    assert "Plan: <b>Full</b> ($1500/month)" in reply
    assert "Subscription: <b>Active</b>, renews" in reply
    assert "Demo data: succeeded" in reply and "(1,234 rows)" in reply
    assert "Search Console: not connected" in reply
    assert "Approvals waiting: <b>2</b>" in reply


def _agent_on(name: str, title: str | None = None, progress: int | None = None) -> Agent:
    agent = Agent.objects.create(name=name)
    if title is not None:
        task = task_claim(task_id=task_create(title=title, actor_label="owner").pk, agent=agent)
        if progress is not None:
            task_update(task_id=task.pk, agent=agent, progress=progress)
    return agent


def test_status_names_each_agents_current_task_and_its_percent(public_client, alpha):
    link_chat(alpha)
    with tenant_context(alpha.tenant):
        _agent_on("SEO agent", "Rewrite the <Ottawa> page", progress=40)
        _agent_on("Content agent", "Spring FAQ")
        _agent_on("Idle agent")
        finished = _agent_on("Done agent", "Old work", progress=100)
        task_transition(task_id=finished.tasks.get().pk, to="done", actor_label="owner")
    lines = said(public_client, CHAT, "/status").splitlines()
    agents = lines[lines.index("<b>Agents</b>") + 1 :]
    assert agents == [
        "• Content agent: busy",
        "  task: Spring FAQ",  # no percent reported: none shown
        "• Done agent: warm",  # its finished task is no longer its current one
        "• Idle agent: idle",
        "• SEO agent: busy",
        "  task: Rewrite the &lt;Ottawa&gt; page (40%)",
    ]


def test_status_reads_the_agents_tasks_in_as_many_queries_for_three_agents_as_for_one(alpha):
    def queries() -> tuple[int, str]:
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)  # nothing cached from the last reply
        with tenant_context(tenant), CaptureQueriesContext(connection) as captured:
            text = commands.status_reply(tenant=tenant).text
        return len(captured), text

    with tenant_context(alpha.tenant):
        _agent_on("agent 0", "task 0", progress=10)
    one, text = queries()
    assert "task: task 0 (10%)" in text
    with tenant_context(alpha.tenant):
        _agent_on("agent 1", "task 1", progress=20)
        _agent_on("agent 2", "task 2")
    three, text = queries()
    assert {"  task: task 1 (20%)", "  task: task 2"} <= set(text.splitlines())
    assert three == one


def test_report_gives_the_week_against_the_week_before_and_the_movers(public_client, alpha):
    from marketing.metrics import last_complete
    from marketing.models import SearchFact

    link_chat(alpha)
    week = last_complete(tenant=alpha.tenant, days=7)
    with tenant_context(alpha.tenant):
        rows = []
        for i in range(7):
            for query, now_clicks, before_clicks in (
                ("car shipping toronto", 30, 10),
                ("moving boxes", 2, 12),
            ):
                for day, clicks in (
                    (week.start + timedelta(days=i), now_clicks),
                    (week.start - timedelta(days=7 - i), before_clicks),
                ):
                    rows.append(
                        SearchFact(day=day, query=query, page="/", device="MOBILE", country="can",
                                   clicks=clicks, impressions=100, position_sum=500)
                    )  # fmt: skip
        SearchFact.objects.bulk_create(rows)
    reply = said(public_client, CHAT, "/report")
    assert f"week of {week.start:%b %-d}–{week.end:%b %-d}" in reply
    assert "Search clicks: <b>224</b> (+45.5 %) ✅" in reply  # 32×7 against 22×7
    assert "▲ car shipping toronto: 210 clicks (+140)" in reply
    assert "▼ moving boxes: 14 clicks (−70)" in reply


def test_leads_lists_the_latest_with_names_escaped(public_client, alpha):
    link_chat(alpha)
    make_lead(alpha, "Old Lead")
    make_lead(alpha, "<b>Bob_*[x]</b> & co", origin="Toronto", destination="Vancouver", phone="+14165550199")
    reply = said(public_client, CHAT, "/leads")
    assert "&lt;b&gt;Bob_*[x]&lt;/b&gt; &amp; co" in reply
    assert "<b>Bob" not in reply
    assert "Toronto → Vancouver" in reply and "+14165550199" in reply
    assert reply.index("Bob_") < reply.index("Old Lead")  # newest first


def test_leads_when_there_are_none(public_client, alpha):
    link_chat(alpha)
    assert "has no leads yet" in said(public_client, CHAT, "/leads")


def test_approve_lists_pending_proposals_with_buttons(public_client, alpha):
    link_chat(alpha)
    first, second = (
        propose_page(alpha, "spring-moving"),
        propose_page(alpha, "odd-page", title="<i>odd</i> page"),
    )
    expired = propose_page(alpha, "old-idea")
    with tenant_context(alpha.tenant):
        Approval.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    post(public_client, message(CHAT, "/approve"))
    head, *items = sent(CHAT)
    assert "2 waiting for your approval" in head.body
    assert [item.headers["reply_markup"]["inline_keyboard"][0] for item in items] == [
        [
            {"text": "✅ Approve", "callback_data": f"approve:{approval.pk}"},
            {"text": "❌ Reject", "callback_data": f"reject:{approval.pk}"},
        ]
        for approval in (first, second)
    ]
    assert "Proposed by SEO agent" in items[0].body
    assert "&lt;i&gt;odd&lt;/i&gt;" in items[1].body and "<i>odd" not in items[1].body


def test_approve_when_nothing_waits(public_client, alpha):
    link_chat(alpha)
    assert "Nothing is waiting" in said(public_client, CHAT, "/approve")


@pytest.mark.parametrize(
    "action, status, notice",
    [("approve", Approval.Status.APPROVED, "Approved."), ("reject", Approval.Status.REJECTED, "Rejected.")],
)
def test_the_buttons_decide_as_the_linked_owner(public_client, alpha, decisions, action, status, notice):
    link_chat(alpha)
    approval = propose_page(alpha, "spring-moving")
    assert post(public_client, callback(CHAT, f"{action}:{approval.pk}", message_id=77)).status_code == 200
    with tenant_context(alpha.tenant):
        approval.refresh_from_db()
    assert approval.status == status
    assert (approval.decided_via, approval.decided_by_id) == ("telegram", alpha.owner.pk)
    assert [r.body for r in sent(CHAT, "answerCallbackQuery")] == [notice]
    (edit,) = sent(CHAT, "editMessageText")
    assert edit.headers["message_id"] == 77 and "reply_markup" not in edit.headers
    assert "Spring Moving" in edit.body and notice.rstrip(".") in edit.body


def test_a_second_press_is_told_the_proposal_was_decided(public_client, alpha, decisions):
    link_chat(alpha)
    approval = propose_page(alpha, "spring-moving")
    post(public_client, callback(CHAT, f"approve:{approval.pk}"))
    post(public_client, callback(CHAT, f"reject:{approval.pk}"))
    with tenant_context(alpha.tenant):
        assert Approval.objects.get(pk=approval.pk).status == Approval.Status.APPROVED
    second = sent(CHAT, "answerCallbackQuery")[1]
    assert second.body not in ("Approved.", "Rejected.")


@pytest.mark.parametrize("data", ["approve:999999", "approve:", "delete:1", "approve:1;drop"])
def test_unknown_buttons_change_nothing(public_client, alpha, decisions, data):
    link_chat(alpha)
    approval = propose_page(alpha, "spring-moving")
    post(public_client, callback(CHAT, data))
    assert len(sent(CHAT, "answerCallbackQuery")) == 1
    with tenant_context(alpha.tenant):
        assert Approval.objects.get(pk=approval.pk).status == Approval.Status.PENDING


# --- one business per chat ------------------------------------------------------------------------


@pytest.fixture
def owner_of_both(alpha, beta):
    person = User.objects.create_user(email="both-telegram@example.com")
    for world in (alpha, beta):
        Membership.objects.create(user=person, tenant=world.tenant, role=Membership.Role.OWNER)
    return person


def test_a_chat_linked_to_one_business_never_sees_the_others(
    public_client, alpha, beta, owner_of_both, decisions
):
    new = telegram_link_code_create(tenant=alpha.tenant, user=owner_of_both)
    said(public_client, CHAT, f"/start {new.code}")
    make_lead(alpha, "Alpha Customer")
    make_lead(beta, "Beta Secret Customer")
    beta_approval = propose_page(beta, "beta-secret-page")

    leads = said(public_client, CHAT, "/leads")
    assert "Alpha Customer" in leads and "Beta" not in leads
    assert "Nothing is waiting" in said(public_client, CHAT, "/approve")
    assert "Approvals waiting: <b>0</b>" in said(public_client, CHAT, "/status")
    assert "Beta" not in said(public_client, CHAT, "/report")

    post(public_client, callback(CHAT, f"approve:{beta_approval.pk}"))
    assert sent(CHAT, "answerCallbackQuery")[-1].body == "That proposal no longer exists."
    with tenant_context(beta.tenant):
        assert Approval.objects.get(pk=beta_approval.pk).status == Approval.Status.PENDING


# --- trying it from the command line ----------------------------------------------------------------


def test_the_command_posts_a_signed_update_and_prints_the_reply(alpha, decisions):
    new = telegram_link_code_create(tenant=alpha.tenant, user=alpha.owner)
    out = StringIO()
    call_command("telegram_update", chat=CHAT, text=f"/start {new.code}", stdout=out)
    assert "linked to <b>Alpha Movers</b>" in out.getvalue()

    approval = propose_page(alpha, "spring-moving")
    out = StringIO()
    call_command("telegram_update", chat=CHAT, text="/approve", stdout=out)
    assert f"[✅ Approve → approve:{approval.pk}]" in out.getvalue()
    out = StringIO()
    call_command("telegram_update", chat=CHAT, callback=f"approve:{approval.pk}", stdout=out)
    assert "--- answerCallbackQuery (stored)\nApproved." in out.getvalue()
    assert "--- editMessageText" in out.getvalue()


@override_settings(TELEGRAM_WEBHOOK_SECRET="another-secret")
def test_the_webhook_checks_the_configured_secret(public_client, alpha):
    link_chat(alpha)
    assert post(public_client, message(CHAT, "/help")).status_code == 403
    assert post(public_client, message(CHAT, "/help"), secret="another-secret").status_code == 200
