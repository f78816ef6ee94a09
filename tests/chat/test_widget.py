"""The chat widget's endpoints and the assistant behind them: a visitor's conversation follows their
cookie (and only on its own tenant), limits refuse at the limit plus one, answers come from the FAQ
or honestly ask for a number that becomes a lead, a model that fails never loses the visitor's
message, and the widget is on the site only where chat is switched on and paid for."""

import asyncio
import json
import threading
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.services.subscriptions import plan_change_apply
from chat.llm.base import LlmResult, LlmUnavailable
from chat.models import Conversation, Message
from chat.services.assistant import DONT_KNOW, contact_parse
from chat.services.memory import memory_add
from chat.services.widget import visitor_cookie_name, visitor_cookie_value, visitor_from_cookie
from chat.views_widget import _events_async
from marketing.models import Lead
from tenants.models import Tenant, TenantConfig
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

POST = "/chat/messages/"
TRANSCRIPT = "/chat/conversation/"
FAQ_Q = "Do you ship cars to Italy?"
FAQ_A = "Yes: we ship cars to Italy from Vaughan every week by RoRo, door to port in about three weeks."


def say(client, text, **extra):
    return client.post(
        POST, json.dumps({"text": text, "page": "/"}), content_type="application/json", **extra
    )


def faq(world, question=FAQ_Q, answer=FAQ_A):
    with tenant_context(world.tenant):
        return memory_add(title=question, text=answer, source="faq")[0]


def conversations(world):
    with tenant_context(world.tenant):
        return list(Conversation.objects.order_by("pk"))


def messages(world):
    with tenant_context(world.tenant):
        return list(Message.objects.order_by("pk").values_list("role", "origin", "text"))


def events(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    out = []
    for block in filter(None, body.split("\n\n")):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


# --- the visitor's conversation ---------------------------------------------------------------------


def test_a_conversation_follows_the_visitors_cookie_across_requests(alpha):
    visitor = client_for(alpha)
    first = say(visitor, "Hello there")
    assert first.status_code == 200
    assert first.json()["reply"]["text"] == DONT_KNOW
    cookie = first.cookies[visitor_cookie_name()]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["domain"]
    assert cookie["path"] == "/" and not cookie["secure"]  # plain http in development
    say(visitor, "no thanks")

    (conversation,) = conversations(alpha)
    assert [m[0] for m in messages(alpha)] == ["visitor", "assistant", "visitor", "assistant"]
    transcript = visitor.get(TRANSCRIPT).json()
    assert [m["text"] for m in transcript["messages"]][:3] == ["Hello there", DONT_KNOW, "no thanks"]
    assert transcript["csrf"]
    with tenant_context(alpha.tenant):
        assert conversation.last_message_at == Message.objects.latest("created").created
    # polling for what came after the last message seen: the owner's reply, say
    last = transcript["messages"][-1]["id"]
    with tenant_context(alpha.tenant):
        Message.objects.create(conversation=conversation, role="owner", origin="owner", text="Call you soon!")
    assert [m["text"] for m in visitor.get(f"{TRANSCRIPT}?after={last}").json()["messages"]] == [
        "Call you soon!"
    ]
    # someone else (no cookie) sees nothing, and starts a conversation of their own
    assert client_for(alpha).get(TRANSCRIPT).json()["messages"] == []
    say(client_for(alpha), "Another visitor")
    assert len(conversations(alpha)) == 2


@override_settings(SECURE=True)
def test_on_https_the_cookie_is_secure_and_host_only():
    from django.http import HttpRequest, HttpResponse

    from chat.views_widget import _set_visitor_cookie

    request = HttpRequest()
    request.tenant = mock.Mock(schema_name="alpha")
    response = HttpResponse()
    _set_visitor_cookie(request, response, uuid.uuid4())
    cookie = response.cookies["__Host-chat"]
    assert cookie["secure"] and cookie["httponly"] and not cookie["domain"] and cookie["path"] == "/"


def test_another_tenants_cookie_finds_nothing(alpha, beta):
    on_beta = client_for(beta)
    say(on_beta, "My secret question for Beta")
    cookie = on_beta.cookies[visitor_cookie_name()].value

    on_alpha = client_for(alpha)
    on_alpha.cookies[visitor_cookie_name()] = cookie
    assert on_alpha.get(TRANSCRIPT).json()["messages"] == []
    assert visitor_from_cookie(tenant=alpha.tenant, value=cookie) is None
    # even alpha's own signature on beta's visitor id reaches only alpha's schema, where it is no one's
    (beta_conversation,) = conversations(beta)
    on_alpha.cookies[visitor_cookie_name()] = visitor_cookie_value(
        tenant=alpha.tenant, visitor=beta_conversation.visitor
    )
    assert on_alpha.get(TRANSCRIPT).json()["messages"] == []
    assert say(on_alpha, "Hi Alpha").status_code == 200
    assert [m[2] for m in messages(alpha)][0] == "Hi Alpha"
    assert "My secret question for Beta" not in [m[2] for m in messages(alpha)]
    assert len(messages(beta)) == 2  # beta's conversation untouched


def test_the_post_needs_the_csrf_token_the_transcript_gives(alpha):
    visitor = Client(HTTP_HOST=alpha.host, enforce_csrf_checks=True)
    assert say(visitor, "Hello").status_code == 403
    assert messages(alpha) == []
    token = visitor.get(TRANSCRIPT).json()["csrf"]
    assert say(visitor, "Hello", HTTP_X_CSRFTOKEN=token).status_code == 200


# --- refusals ---------------------------------------------------------------------------------------


@override_settings(CHAT_MAX_MESSAGE=50)
def test_message_length_is_refused_one_past_the_limit(alpha):
    visitor = client_for(alpha)
    too_long = say(visitor, "x" * 51)
    assert too_long.status_code == 400 and too_long.json()["code"] == "message_too_long"
    assert "50 characters" in too_long.json()["message"]
    assert messages(alpha) == []
    for empty in ("", "   \n "):
        refused = say(visitor, empty)
        assert refused.status_code == 400 and refused.json()["code"] == "message_empty"
    bad = visitor.post(POST, "not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
    assert messages(alpha) == []
    assert say(visitor, "x" * 50).status_code == 200
    assert messages(alpha)[0] == ("visitor", "visitor", "x" * 50)


@override_settings(CHAT_RATE_PER_IP=(3, 60), CHAT_RATE_PER_CONVERSATION=(100, 60))
def test_messages_per_ip_are_limited(alpha, beta):
    visitor = client_for(alpha)
    assert [say(visitor, f"question {i}").status_code for i in range(3)] == [200, 200, 200]
    refused = say(visitor, "one more")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "wait a minute" in refused.json()["message"]
    assert "one more" not in [m[2] for m in messages(alpha)]
    assert say(client_for(alpha), "new visitor, same address").status_code == 429
    assert say(client_for(beta), "same address, another business").status_code == 200


@override_settings(CHAT_RATE_PER_IP=(100, 60), CHAT_RATE_PER_CONVERSATION=(2, 60))
def test_messages_per_conversation_are_limited(alpha):
    visitor = client_for(alpha)
    assert [say(visitor, f"question {i}").status_code for i in range(2)] == [200, 200]
    refused = say(visitor, "one more")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert say(client_for(alpha), "someone else").status_code == 200


@override_settings(CHAT_CONVERSATIONS_PER_DAY=2)
def test_new_conversations_per_day_are_limited_with_the_phone_number_offered(alpha):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(business_phone="+14165550100")
    with tenant_context(alpha.tenant):  # yesterday's conversations don't count
        yesterday = timezone.now() - timedelta(days=1)
        old = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=yesterday)
        Conversation.objects.filter(pk=old.pk).update(started=yesterday)
    first = client_for(alpha)
    assert say(first, "one").status_code == 200
    assert say(client_for(alpha), "two").status_code == 200
    refused = say(client_for(alpha), "three")
    assert refused.status_code == 429 and refused.json()["code"] == "chat_busy_today"
    assert "(416) 555-0100" in refused.json()["message"]
    assert int(refused["Retry-After"]) > 0
    assert len(conversations(alpha)) == 3
    assert say(first, "an existing conversation goes on").status_code == 200


# --- answers -----------------------------------------------------------------------------------------


def test_a_faq_question_gets_the_faq_answer_quoted(alpha):
    entry = faq(alpha)
    with tenant_context(alpha.tenant):
        memory_add(text="Our office in Vaughan is open on Saturdays.", source="note")
    reply = say(client_for(alpha), "how much to ship my car to italy?").json()["reply"]
    assert reply["origin"] == "retrieval"
    assert reply["text"] == f"From our FAQ — {FAQ_Q}: {FAQ_A}"
    with tenant_context(alpha.tenant):
        assert Message.objects.get(pk=reply["id"]).sources == [entry.pk]


def test_a_match_on_a_few_words_is_not_good_enough_to_quote(alpha):
    faq(alpha)
    # "ship" is in the FAQ, "boats" and "Greece" are not: quoting it would answer another question
    reply = say(client_for(alpha), "Do you ship boats to Greece?").json()["reply"]
    assert (reply["origin"], reply["text"]) == ("fallback", DONT_KNOW)


def test_only_faq_and_notes_are_quoted_and_agent_notes_never_reach_the_model(alpha):
    with tenant_context(alpha.tenant):
        revenue = memory_add(text="Revenue from Italy shipping was 40k last month.", source="questionnaire")[
            0
        ]
        memory_add(text="Agent checkpoint: Italy shipping keyword research half done.", source="agent")
    reply = say(client_for(alpha), "Italy shipping revenue?").json()["reply"]
    assert reply["origin"] == "fallback"  # the owner's questionnaire answer is not pasted to visitors
    with tenant_context(alpha.tenant):
        routes = memory_add(
            text="Italy shipping: most asked route, Vaughan to Genoa.",
            source="questionnaire",
            tags=["operations"],
        )[0]
    with override_settings(LLM_BACKEND="openai"), mock.patch("chat.llm.service.llm_answer") as llm:
        llm.return_value = LlmResult(text="We ship to Italy weekly.", model="fake")
        reply = say(client_for(alpha), "Italy shipping?").json()["reply"]
    # The model may use an operations answer; the untagged revenue answer and the agent's note, never
    # (tests/chat/test_review_hardening.py: revenue and strategy answers stay private).
    assert revenue.pk and llm.call_args.kwargs["retrieved"] == [routes]
    assert (reply["origin"], reply["text"]) == ("llm", "We ship to Italy weekly.")


def test_a_new_question_instead_of_a_number_hands_the_first_over_and_is_answered(alpha):
    faq(alpha)
    visitor = client_for(alpha)
    say(visitor, "Can you store my boat over the winter?")
    reply = say(visitor, FAQ_Q).json()["reply"]
    assert reply["origin"] == "retrieval"
    (conversation,) = conversations(alpha)
    assert conversation.needs_reply and conversation.awaiting == ""
    assert "boat" in conversation.handover_reason


def test_an_unanswerable_question_then_a_number_makes_a_chat_lead_for_the_owner(alpha):
    faq(alpha)
    visitor = client_for(alpha)
    reply = say(visitor, "Can you store my boat over the winter?").json()["reply"]
    assert (reply["origin"], reply["text"]) == ("fallback", DONT_KNOW)
    (conversation,) = conversations(alpha)
    assert conversation.awaiting == "contact" and not conversation.needs_reply

    again = say(visitor, "it's 555 019 99").json()["reply"]
    assert again["origin"] == "flow" and "doesn't look right" in again["text"]
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()

    thanks = say(visitor, "Sure, 416 555 0199").json()["reply"]
    assert thanks["origin"] == "flow" and "(416) 555-0199" in thanks["text"]
    with tenant_context(alpha.tenant):
        lead = Lead.objects.get()
        conversation = Conversation.objects.get()
    assert (lead.source, lead.phone) == ("chat", "+14165550199")
    assert "Can you store my boat over the winter?" in lead.message
    assert conversation.lead_id == lead.pk and conversation.needs_reply and conversation.awaiting == ""
    assert "boat" in conversation.handover_reason


def test_a_visitor_who_says_no_is_still_handed_over(alpha):
    visitor = client_for(alpha)
    say(visitor, "Can you store my boat over the winter?")
    reply = say(visitor, "No thanks").json()["reply"]
    assert reply["origin"] == "flow" and "passed your question on" in reply["text"]
    (conversation,) = conversations(alpha)
    assert conversation.needs_reply and conversation.awaiting == ""
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()


def test_an_email_also_works_as_contact(alpha):
    visitor = client_for(alpha)
    say(visitor, "Can you store my boat over the winter?")
    say(visitor, "write to me at Ada@Example.com please")
    with tenant_context(alpha.tenant):
        assert Lead.objects.get().email == "ada@example.com"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("416-555-0199", ("+14165550199", "", False)),
        ("+39 06 1234 5678", ("+390612345678", "", False)),
        ("call 555 0199 99", ("", "", True)),
        ("I have 2 cars", None),
    ],
)
def test_contact_parse(text, expected):
    found = contact_parse(text)
    assert (found and (found.phone, found.email, found.bad_number)) == expected


@override_settings(LLM_BACKEND="anthropic")
def test_a_model_that_is_unavailable_leaves_the_message_and_gives_the_faq_answer(alpha):
    faq(alpha)
    with mock.patch("chat.llm.service.llm_answer", side_effect=LlmUnavailable("HTTP 529")) as llm:
        response = say(client_for(alpha), FAQ_Q)
    assert llm.call_args.kwargs["question"] == FAQ_Q
    assert response.json()["reply"]["origin"] == "retrieval"
    assert messages(alpha)[0] == ("visitor", "visitor", FAQ_Q)


@override_settings(LLM_BACKEND="anthropic")
def test_a_model_that_breaks_still_keeps_the_visitors_message(alpha):
    with mock.patch("chat.llm.service.llm_answer", side_effect=RuntimeError("bug")):
        response = say(client_for(alpha), "Hello?")
    assert response.status_code == 503 and response.json()["code"] == "answer_failed"
    assert messages(alpha) == [("visitor", "visitor", "Hello?")]


@override_settings(LLM_BACKEND="anthropic")
def test_the_model_answer_streams_as_server_sent_events(alpha):
    entry = faq(alpha)

    def answer(*, conversation, question, retrieved, on_text, **_):
        assert retrieved == [entry]
        on_text("We do ")
        on_text("ship to Italy.")
        return LlmResult(text="We do ship to Italy.", model="fake")

    with mock.patch("chat.llm.service.llm_answer", side_effect=answer):
        response = say(client_for(alpha), FAQ_Q, HTTP_ACCEPT="text/event-stream")
        got = events(response)  # the answer is worked out as the events are read
    assert response["Content-Type"].startswith("text/event-stream")
    assert [name for name, _ in got] == ["saved", "delta", "delta", "done"]
    assert got[0][1]["text"] == FAQ_Q and got[0][1]["role"] == "visitor"
    assert [data["text"] for name, data in got if name == "delta"] == ["We do ", "ship to Italy."]
    assert got[-1][1]["origin"] == "llm" and got[-1][1]["text"] == "We do ship to Italy."
    assert messages(alpha)[-1] == ("assistant", "llm", "We do ship to Italy.")

    with mock.patch("chat.llm.service.llm_answer", side_effect=RuntimeError("bug")):
        broken = events(say(client_for(alpha), "Hello?", HTTP_ACCEPT="text/event-stream"))
    assert [name for name, _ in broken] == ["saved", "error"] and broken[1][1]["code"] == "answer_failed"


def test_without_a_model_the_answer_is_plain_json_even_when_events_are_asked_for(alpha):
    response = say(client_for(alpha), "Hello", HTTP_ACCEPT="text/event-stream")
    assert response["Content-Type"] == "application/json"
    assert response.json()["reply"]["text"] == DONT_KNOW


def test_under_asgi_each_piece_goes_out_before_the_answer_is_finished():
    saved = Message(pk=1, role="visitor", origin="visitor", text="Hi", created=timezone.now())
    reply = Message(pk=2, role="assistant", origin="llm", text="Hello there", created=timezone.now())
    first_piece_sent = threading.Event()

    def respond(tenant, conversation, saved, on_text):
        on_text("Hello ")
        # The answer finishes only once the first piece has reached the visitor.
        reply.text = "Hello there" if first_piece_sent.wait(timeout=10) else "piece held back"
        on_text("there")
        return reply

    async def read():
        out = []
        async for chunk in _events_async(None, mock.Mock(pk=1), saved, respond=respond):
            out.append(chunk.decode())
            if chunk.startswith(b"event: delta"):
                first_piece_sent.set()
        return out

    got = asyncio.run(read())
    assert [c.split("\n", 1)[0] for c in got] == [
        "event: saved",
        "event: delta",
        "event: delta",
        "event: done",
    ]
    assert '"text": "Hello there"' in got[-1]


# --- what the visitor's browser shows ----------------------------------------------------------------


def test_html_in_messages_and_names_is_shown_as_text(alpha):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(brand_name='Alpha <img src=x onerror="alert(1)">')
    visitor = client_for(alpha)
    attack = "<script>alert('x')</script><b>bold</b>"
    response = say(visitor, attack)
    # JSON is data (the widget sets it as textContent); it reaches no page as markup
    assert response["Content-Type"] == "application/json"
    assert response.json()["visitor"]["text"] == attack
    page = visitor.get("/").content.decode()
    assert 'id="iw-chat"' in page
    assert "<img src=x" not in page and "Chat with Alpha &lt;img src=x" in page
    assert attack not in page
    # the question becomes the lead's message: the owner reads it as text
    say(visitor, "416 555 0199")
    with tenant_context(alpha.tenant):
        lead = Lead.objects.get()
    assert attack in lead.message
    lead_page = client_for(alpha, user=alpha.owner).get(f"/leads/{lead.pk}/").content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in lead_page
    assert "<b>bold</b>" not in lead_page


def test_the_widget_is_on_the_site_only_with_chat_on_and_in_the_plan(alpha):
    def widget_shown():
        return 'id="iw-chat"' in client_for(alpha).get("/").content.decode()

    assert widget_shown()  # no plan (made by staff): not limited by one
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_chat=False, updated=timezone.now())
    assert not widget_shown()
    assert client_for(alpha).get(TRANSCRIPT).status_code == 404
    plan_change_apply(tenant=Tenant.objects.get(pk=alpha.tenant.pk), plan="full", initial=True)
    assert widget_shown()
    plan_change_apply(tenant=Tenant.objects.get(pk=alpha.tenant.pk), plan="seo", initial=True)
    # even with the toggle forced back on, a plan without chat shows no widget
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_chat=True, updated=timezone.now())
    assert not widget_shown()
    assert client_for(alpha).post(POST).status_code == 403


def test_a_number_given_without_being_asked_becomes_a_lead_too(alpha):
    faq(alpha)
    visitor = client_for(alpha)
    say(visitor, "Do you ship cars to Italy?")  # answered from the FAQ: no number asked for
    thanks = say(visitor, "Please call me at 647 555 0123").json()["reply"]
    assert thanks["origin"] == "flow" and "(647) 555-0123" in thanks["text"]
    with tenant_context(alpha.tenant):
        lead = Lead.objects.get()
        conversation = Conversation.objects.get()
    assert (lead.source, lead.phone) == ("chat", "+16475550123")
    assert conversation.lead_id == lead.pk and conversation.needs_reply
    # once the lead exists, a later number is just a message (no second lead, no loop)
    say(visitor, "or 416 555 0100 in the evening")
    with tenant_context(alpha.tenant):
        assert Lead.objects.count() == 1


@override_settings(CHAT_CONVERSATIONS_PER_DAY=1)
def test_two_visitors_arriving_together_cannot_both_take_the_last_place_of_the_day(alpha):
    """The first start holds its place until it commits; the second, on its own connection, waits for
    it and then sees the day is full (without the lock it would count one too few and start)."""
    import threading

    from django.db import connection as main_connection

    from chat.services.widget import conversation_start
    from inkwell.errors import RateLimited
    from tests.conftest import on_own_connection

    outcome = []

    def second_visitor():
        try:
            with tenant_context(alpha.tenant):
                conversation_start(tenant=alpha.tenant, visitor=uuid.uuid4())
            outcome.append("started")
        except RateLimited:
            outcome.append("refused")
        finally:
            main_connection.close()

    def waiting_on_the_lock() -> bool:
        from django.db import connection as own

        with own.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            return cursor.fetchone()[0] > 0

    def first_visitor_then_second():
        from django.db import connection as own
        from django.db import transaction as own_transaction

        try:
            with tenant_context(alpha.tenant), own_transaction.atomic():
                first = conversation_start(tenant=alpha.tenant, visitor=uuid.uuid4())
                thread = threading.Thread(target=second_visitor)
                thread.start()
                while not on_own_connection(waiting_on_the_lock) and thread.is_alive():
                    pass  # the second start is blocked behind this transaction's lock
            thread.join()
            with tenant_context(alpha.tenant):
                Conversation.objects.filter(pk=first.pk).delete()  # committed: clean up
        finally:
            own.close()

    on_own_connection(first_visitor_then_second)
    assert outcome == ["refused"]
    with tenant_context(alpha.tenant):
        assert not Conversation.objects.exists()
