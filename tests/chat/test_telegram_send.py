"""Sending: Telegram's 4,096-character limit (at it and one past), HTML that stays valid when split,
the Bot API backend recorded at the HTTP layer (sent, refused, unreachable: the token never kept),
an agent's message to the owners and its hourly limit, and notifications of events per the owner's
preferences, never twice."""

import json

import httpx
import pytest
import respx
from django.db import connection
from django.test import override_settings
from django_tenants.utils import tenant_context

from chat.models import DomainEvent
from chat.telegram.format import LIMIT, TRIMMED, esc, size, split
from chat.telegram.notify import event_notify
from chat.telegram.send import telegram_edit, telegram_owner_message, telegram_send
from inkwell.errors import DomainError, RateLimited, ServiceUnavailable
from tenants.models import Membership, OutboundMessage
from tenants.services.agent_tokens import AgentIdentity
from tests.chat.telegram_helpers import CHAT, link_chat, make_lead, sent

pytestmark = pytest.mark.django_db
TOKEN = "123456:TEST-token-AbCdEf"
SEND_URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
AGENT = AgentIdentity(token_id=41, name="SEO <agent>")


# --- the limit and escaping -------------------------------------------------------------------------


def test_a_message_at_the_limit_goes_whole_and_one_past_is_split(db):
    telegram_send(tenant=None, chat_id=CHAT, text="a" * LIMIT)
    assert [len(r.body) for r in sent(CHAT)] == [LIMIT]
    telegram_send(tenant=None, chat_id=CHAT + 1, text="a" * (LIMIT + 1))
    assert [len(r.body) for r in sent(CHAT + 1)] == [LIMIT, 1]


def test_the_limit_counts_as_telegram_does():
    # An emoji outside the basic plane is two UTF-16 code units: 2,048 fit, 2,049 don't.
    assert split("😀" * 2048) == ["😀" * 2048]
    assert [size(part) for part in split("😀" * 2049)] == [LIMIT, 2]


def test_a_long_reply_breaks_between_lines_and_keeps_its_tags_whole():
    lines = [f"• <b>Lead {i}</b> &amp; friends" for i in range(400)]
    parts = split("\n".join(lines))
    assert len(parts) > 1 and all(size(part) <= LIMIT for part in parts)
    assert "\n".join(parts).split("\n") == lines  # nothing lost, every break at a line end


def test_a_break_inside_a_tag_closes_and_reopens_it():
    parts = split("<b>" + "x" * 5000 + "</b>")
    assert [size(p) for p in parts] == [LIMIT, 5000 - (LIMIT - 7) + 7]
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)


def test_no_break_falls_inside_an_entity():
    parts = split("&amp;" * 1000)
    assert all(p.startswith("&amp;") and p.endswith("&amp;") for p in parts)


def test_past_a_few_messages_the_reply_is_trimmed_with_a_note():
    parts = split("line\n" * 5000)
    assert len(parts) == 4 and parts[-1].endswith(TRIMMED) and size(parts[-1]) <= LIMIT


def test_a_stray_character_is_never_dropped():
    text = "a & b < c > d " * 600
    assert "".join(split(text)) == text.rstrip("\n")


def test_escaping_leaves_markdown_alone_and_neutralises_html():
    assert esc("<b>Bob_*[x]</b> & `co`") == "&lt;b&gt;Bob_*[x]&lt;/b&gt; &amp; `co`"


# --- the Bot API backend --------------------------------------------------------------------------


@pytest.fixture
def api():
    with (
        override_settings(TELEGRAM_BACKEND="api", TELEGRAM_BOT_TOKEN=TOKEN),
        respx.mock(assert_all_mocked=True, assert_all_called=False) as router,
    ):
        yield router


def test_the_api_backend_posts_html_and_records_the_message_id(api, alpha):
    route = api.post(SEND_URL).mock(
        return_value=httpx.Response(
            200, json={"ok": True, "result": {"message_id": 314, "chat": {"id": CHAT}}}
        )
    )
    buttons = {"inline_keyboard": [[{"text": "Approve", "callback_data": "approve:1"}]]}
    record = telegram_send(
        tenant=alpha.tenant, chat_id=CHAT, text="<b>Hi</b>", reply_markup=buttons, ref="x:1"
    )
    sent_payload = json.loads(route.calls.last.request.content)
    assert sent_payload["chat_id"] == CHAT and sent_payload["text"] == "<b>Hi</b>"
    assert sent_payload["parse_mode"] == "HTML" and sent_payload["reply_markup"] == buttons
    assert (record.status, record.provider_id, record.backend, record.tenant) == (
        "sent",
        "314",
        "api",
        alpha.tenant,
    )


def test_a_refusal_is_recorded_and_does_not_raise(api, db):
    api.post(SEND_URL).mock(
        return_value=httpx.Response(
            403,
            json={"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
        )
    )
    record = telegram_send(tenant=None, chat_id=CHAT, text="Hi")
    assert record.status == "failed" and record.error == "403: Forbidden: bot was blocked by the user"


def test_an_unreachable_api_is_recorded_without_the_token(api, db):
    api.post(f"https://api.telegram.org/bot{TOKEN}/editMessageText").mock(
        side_effect=httpx.ConnectTimeout(f"timed out connecting to /bot{TOKEN}/editMessageText")
    )
    record = telegram_edit(tenant=None, chat_id=CHAT, message_id=5, text="Done")
    assert record.status == "failed" and "ConnectTimeout" in record.error
    assert TOKEN not in record.error and "[redacted]" in record.error


def test_the_bot_token_never_reaches_the_logs(api, db, caplog):
    """The Bot API puts the token in the URL, and httpx logs every request's URL at INFO: with
    the project's logging, the line must not carry the token (whoever holds it is the bot)."""
    api.post(SEND_URL).mock(return_value=httpx.Response(200, json={"ok": True, "result": {}}))
    caplog.set_level("INFO")
    telegram_send(tenant=None, chat_id=CHAT, text="Hi")
    assert any("api.telegram.org" in line for line in caplog.messages)
    assert TOKEN not in caplog.text


# --- an agent's message to the owners ----------------------------------------------------------------


def test_an_agents_message_goes_to_each_owners_chat_escaped(alpha):
    link_chat(alpha)
    link_chat(alpha, chat_id=CHAT + 1, user=alpha.member)  # not an owner: told nothing
    assert telegram_owner_message(tenant=alpha.tenant, text="Rankings <up> 5 %", agent=AGENT) == 1
    (record,) = sent(CHAT)
    assert record.body == "🤖 <b>SEO &lt;agent&gt;</b>:\nRankings &lt;up&gt; 5 %"
    assert record.ref == "agent:41" and sent(CHAT + 1) == []


def test_without_a_linked_owner_the_agent_is_told_so(alpha, beta):
    link_chat(beta)
    with pytest.raises(DomainError) as refused:
        telegram_owner_message(tenant=alpha.tenant, text="Hello", agent=AGENT)
    assert refused.value.code == "telegram_not_linked"


@override_settings(TELEGRAM_AGENT_MESSAGES_PER_HOUR=2)
def test_an_agent_may_send_so_many_an_hour(alpha):
    link_chat(alpha)
    for _ in range(2):
        telegram_owner_message(tenant=alpha.tenant, text="Update", agent=AGENT)
    with pytest.raises(RateLimited) as limited:
        telegram_owner_message(tenant=alpha.tenant, text="One too many", agent=AGENT)
    assert limited.value.code == "rate_limited" and limited.value.retry_after == 3600
    assert len(sent(CHAT)) == 2
    other = AgentIdentity(token_id=42, name="Ads agent")  # each agent has its own allowance
    assert telegram_owner_message(tenant=alpha.tenant, text="Hi", agent=other) == 1


def test_when_telegram_takes_none_the_agent_is_told(api, alpha):
    link_chat(alpha)
    api.post(SEND_URL).mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(ServiceUnavailable) as refused:
        telegram_owner_message(tenant=alpha.tenant, text="Hello", agent=AGENT)
    assert refused.value.code == "telegram_unavailable"


# --- notifications ----------------------------------------------------------------------------------


def _event(world, type_, data):
    with tenant_context(world.tenant):
        return DomainEvent.objects.create(type=type_, data=data)


def _notify(world, event) -> int:
    with tenant_context(world.tenant):
        assert connection.schema_name == world.tenant.schema_name
        return event_notify(event_id=event.pk)


def test_a_new_lead_is_told_once_to_each_chat_that_wants_it(alpha, beta):
    link_chat(alpha)
    quiet = link_chat(alpha, chat_id=CHAT + 1)
    quiet.notify_leads = False
    quiet.save()
    link_chat(beta, chat_id=CHAT + 2)
    lead = make_lead(alpha, "<Bob>", origin="Toronto", destination="Montreal")
    event = _event(alpha, "lead.created", {"lead": lead.pk})
    assert _notify(alpha, event) == 1
    (record,) = sent(CHAT)
    assert "New lead: <b>&lt;Bob&gt;</b>" in record.body and "Toronto → Montreal" in record.body
    assert f"/leads/{lead.pk}/" in record.body and record.ref == f"event:{event.pk}"
    assert sent(CHAT + 1) == [] and sent(CHAT + 2) == []
    assert _notify(alpha, event) == 0  # a redelivered task
    assert len(sent(CHAT)) == 1


def test_what_was_told_for_another_business_does_not_count(alpha, beta):
    link_chat(alpha)
    event = _event(alpha, "lead.created", {})
    OutboundMessage.objects.create(  # beta's event of the same id, told while the chat was beta's
        channel="telegram", tenant=beta.tenant, to=str(CHAT), body="…", backend="outbox", status="stored",
        ref=f"event:{event.pk}",
    )  # fmt: skip
    assert _notify(alpha, event) == 1


def test_a_failed_notification_is_tried_again(alpha):
    link_chat(alpha)
    event = _event(alpha, "chat.handover", {"conversation": 999_999})
    assert _notify(alpha, event) == 1
    OutboundMessage.objects.filter(to=str(CHAT)).update(status="failed")
    assert _notify(alpha, event) == 1
    assert "waiting for you" in sent(CHAT)[-1].body


@pytest.mark.parametrize(
    "type_, preference",
    [
        ("lead.created", "notify_leads"),
        ("contract.signed", "notify_contracts"),
        ("chat.handover", "notify_handovers"),
    ],
)
def test_each_kind_follows_its_own_preference(alpha, type_, preference):
    link = link_chat(alpha)
    event = _event(alpha, type_, {})
    setattr(link, preference, False)
    link.save()
    assert _notify(alpha, event) == 0
    setattr(link, preference, True)
    link.save()
    assert _notify(alpha, event) == 1


def test_other_events_and_former_owners_are_not_told(alpha):
    link_chat(alpha)
    assert _notify(alpha, _event(alpha, "ingestion.finished", {})) == 0
    Membership.objects.filter(user=alpha.owner, tenant=alpha.tenant).update(role=Membership.Role.MEMBER)
    assert _notify(alpha, _event(alpha, "lead.created", {})) == 0
    assert sent(CHAT) == []


def test_a_deactivated_owner_is_not_told(alpha):
    from tenants.models import User

    link_chat(alpha)
    User.objects.filter(pk=alpha.owner.pk).update(is_active=False)
    assert _notify(alpha, _event(alpha, "lead.created", {})) == 0
    assert sent(CHAT) == []


def test_the_task_runs_event_notify(alpha):
    from chat.tasks import telegram_event_notify

    link_chat(alpha)
    event = _event(alpha, "contract.signed", {"contract": 999_999, "reference": "AM-2026-<1>"})
    with tenant_context(alpha.tenant):
        assert telegram_event_notify.run(event_id=event.pk) == 1
    assert sent(CHAT)[0].body == "✍️ Contract <b>AM-2026-&lt;1&gt;</b> was signed."


def test_a_handover_says_why_and_links_the_conversation(alpha):
    import uuid

    from django.utils import timezone

    from chat.models import Conversation
    from tenants.selectors import tenant_url

    link_chat(alpha)
    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(
            visitor=uuid.uuid4(), last_message_at=timezone.now(), handover_reason="Wants a <discount>"
        )
    _notify(alpha, _event(alpha, "chat.handover", {"conversation": conversation.pk, "lead": None}))
    body = sent(CHAT)[0].body
    assert "waiting for you: Wants a &lt;discount&gt;" in body
    assert body.endswith(tenant_url(alpha.tenant, f"/chat/inbox/{conversation.pk}/"))


# --- registering the webhook ------------------------------------------------------------------------


def test_the_webhook_is_registered_with_its_secret(api):
    from io import StringIO

    from django.core.management import call_command

    hook = api.post(f"https://api.telegram.org/bot{TOKEN}/setWebhook").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True, "description": "Webhook was set"})
    )
    menu = api.post(f"https://api.telegram.org/bot{TOKEN}/setMyCommands").mock(
        return_value=httpx.Response(200, json={"ok": True, "result": True})
    )
    out = StringIO()
    call_command("telegram_webhook_set", url="https://inkwell.example.com/telegram/webhook/", stdout=out)
    body = json.loads(hook.calls.last.request.content)
    assert body["url"] == "https://inkwell.example.com/telegram/webhook/"
    assert body["secret_token"] == "test-telegram-secret"
    assert [c["command"] for c in json.loads(menu.calls.last.request.content)["commands"]] == [
        "status", "report", "leads", "approve", "help",
    ]  # fmt: skip
    assert "https://inkwell.example.com/telegram/webhook/" in out.getvalue()


def test_registering_needs_a_token_and_an_https_url(api):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="https"):
        call_command("telegram_webhook_set", url="http://localhost:8000/telegram/webhook/")
    with override_settings(TELEGRAM_BOT_TOKEN=""), pytest.raises(CommandError, match="TELEGRAM_BOT_TOKEN"):
        call_command("telegram_webhook_set", url="https://inkwell.example.com/telegram/webhook/")
    api.post(f"https://api.telegram.org/bot{TOKEN}/setWebhook").mock(
        return_value=httpx.Response(
            400, json={"ok": False, "error_code": 400, "description": "Bad Request: bad webhook"}
        )
    )
    with pytest.raises(CommandError, match="bad webhook"):
        call_command("telegram_webhook_set", url="https://inkwell.example.com/telegram/webhook/")
