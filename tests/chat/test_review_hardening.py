"""Hardening found in the security review of the chat widget, the assistant and the inbox: malformed
or oversized requests answer 4xx in the {code, message} shape (never a 500 or an HTML page), and
visitors can't use the chat to flood the business with leads or texts."""

import json
import uuid

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import Conversation
from chat.services.conversations import LEADS_LIMITED
from marketing.models import Lead
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

POST = "/chat/messages/"


def test_a_deeply_nested_json_body_is_a_400_not_a_500(alpha):
    visitor = client_for(alpha)
    response = visitor.post(POST, "[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_an_oversized_body_is_refused_as_json_at_the_limit_plus_one(alpha, settings):
    from chat.views_widget import MAX_BODY

    settings.CHAT_MAX_MESSAGE = MAX_BODY  # so only the body size can refuse it
    visitor = client_for(alpha)
    body = json.dumps({"text": "hi", "page": "/"})
    at_limit = body[:-1] + " " * (MAX_BODY - len(body)) + "}"
    assert len(at_limit) == MAX_BODY
    assert visitor.post(POST, at_limit, content_type="application/json").status_code == 200
    over = body[:-1] + " " * (MAX_BODY + 1 - len(body)) + "}"
    refused = visitor.post(POST, over, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "message_too_long"
    huge = visitor.post(
        POST, json.dumps({"text": "x", "pad": "y" * 3_000_000}), content_type="application/json"
    )
    assert huge.status_code == 400 and huge["Content-Type"] == "application/json"


def test_the_api_answers_a_deeply_nested_json_body_with_a_400(alpha):
    owner = client_for(alpha, alpha.owner)
    response = owner.post("/api/v1/memory/", "[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def say(client, text):
    return client.post(POST, json.dumps({"text": text, "page": "/"}), content_type="application/json")


def _lead_by_chat(world, phone, ip="203.0.113.7"):
    visitor = client_for(world, REMOTE_ADDR=ip)
    assert say(visitor, "Can you store my boat over the winter?").json()["reply"]["origin"] == "fallback"
    return say(visitor, phone).json()["reply"]["text"]


def chat_leads(world):
    with tenant_context(world.tenant):
        return sorted(Lead.objects.filter(source=Lead.Source.CHAT).values_list("phone", flat=True))


@override_settings(CHAT_LEADS_PER_IP=(2, 3600))
def test_the_chat_makes_no_more_leads_per_address_than_allowed(alpha, beta):
    """Dropping the cookie starts a new conversation, but not a new allowance of leads."""
    assert "416" in _lead_by_chat(alpha, "416 555 0101")
    assert "416" in _lead_by_chat(alpha, "416 555 0102")  # at the limit
    refused = _lead_by_chat(alpha, "416 555 0103")  # one past it
    assert refused == LEADS_LIMITED
    assert chat_leads(alpha) == ["+14165550101", "+14165550102"]
    assert "416" in _lead_by_chat(alpha, "416 555 0104", ip="203.0.113.8")  # another address
    assert "416" in _lead_by_chat(beta, "416 555 0105")  # another business counts its own


@override_settings(CHAT_LEADS_PER_IP=(1, 3600))
def test_a_model_talked_into_capture_lead_is_held_to_the_same_allowance(alpha):
    from chat.llm.service import conversation_tools

    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
        tools = {tool.name: tool for tool in conversation_tools(conversation=conversation, ip="198.51.100.4")}
        capture = tools["capture_lead"]
        assert capture.run({"email": "one@example.com", "details": "A quote"}).startswith("Saved")
        said = capture.run({"email": "two@example.com", "details": "A quote"})
        assert said.startswith("Not saved") and LEADS_LIMITED in said
        emails = list(Lead.objects.filter(source=Lead.Source.CHAT).values_list("email", flat=True))
        assert emails == ["one@example.com"]


@override_settings(CHAT_HANDOVER_SMS_PER_HOUR=2)
def test_hand_over_texts_stop_at_the_hourly_limit_but_the_inbox_still_shows_them(alpha, beta):
    """A visitor starting conversation after conversation to ask for a person can't text the owner
    without end."""
    from chat.services.inbox import conversation_handover_notify
    from tenants.models import OutboundMessage

    def waiting(world):
        with tenant_context(world.tenant):
            conversation = Conversation.objects.create(
                visitor=uuid.uuid4(), last_message_at=timezone.now(), needs_reply=True, handover_reason="Hi"
            )
            return conversation, conversation_handover_notify(conversation_id=conversation.pk)

    def texted(world):
        return OutboundMessage.objects.filter(
            channel="sms", to=world.owner.phone, ref__startswith="conversation:"
        ).count()

    assert waiting(alpha)[1] and waiting(alpha)[1]  # at the limit
    third, sent = waiting(alpha)  # one past it
    assert sent is False and texted(alpha) == 2
    with tenant_context(alpha.tenant):
        assert Conversation.objects.get(pk=third.pk).needs_reply  # still waits in the inbox
        assert conversation_handover_notify(conversation_id=third.pk) is False  # a redelivery: nothing
    assert waiting(beta)[1] and texted(beta) == 1  # another business has its own allowance


def test_a_page_with_control_characters_never_costs_the_visitor_their_lead(alpha):
    """The page the widget reports is the lead's landing page, which refuses line breaks: a visitor
    on such a page was told their (good) number "doesn't look right", again and again."""
    visitor = client_for(alpha)
    body = {"text": "Can you store my boat over the winter?", "page": "/quote\n?ref=a\tb\u2028"}
    visitor.post(POST, json.dumps(body), content_type="application/json")
    reply = say(visitor, "416 555 0177").json()["reply"]["text"]
    assert "(416) 555-0177" in reply
    with tenant_context(alpha.tenant):
        lead = Lead.objects.get(phone="+14165550177")
        assert lead.landing_page == "/quote ?ref=a b" == Conversation.objects.get(lead=lead).page


def test_private_questionnaire_answers_never_reach_the_visitor_facing_model(alpha):
    """A visitor can ask the model anything ("which customers pay late?"): the owner's revenue and
    strategy answers are not given to it; operations and marketing answers are."""
    from unittest import mock

    from chat.llm.base import LlmResult
    from chat.services.memory import memory_add

    with tenant_context(alpha.tenant):
        kept = {
            group: memory_add(
                text=f"Customers paying late: the Rossi account ({group}).",
                source="questionnaire",
                tags=[group],
                title="Which customers pay late?",
            )[0]
            for group in ("revenue", "strategy", "operations", "marketing")
        }
        faq = memory_add(text="Customers paying late pay a 2% fee.", source="faq", title="Late payment?")[0]
    with override_settings(LLM_BACKEND="openai"), mock.patch("chat.llm.service.llm_answer") as llm:
        llm.return_value = LlmResult(text="I can't share that.", model="fake")
        say(client_for(alpha), "Which customers are paying late?")
    given = {entry.pk for entry in llm.call_args.kwargs["retrieved"]}
    assert given == {kept["operations"].pk, kept["marketing"].pk, faq.pk}


def test_a_new_business_with_one_faq_answers_a_paraphrase_of_it(alpha):
    """With a single FAQ every word it holds looked common and every word it lacks rare: "how much to
    ship my car to italy?" got "I don't know" although the FAQ says it."""
    from chat.services.memory import memory_add

    with tenant_context(alpha.tenant):
        memory_add(
            title="Do you ship cars to Italy?",
            text="Yes: we ship cars to Italy from Vaughan every week by RoRo, door to port in about three weeks.",
            source="faq",
        )
    reply = say(client_for(alpha), "how much to ship my car to italy?").json()["reply"]
    assert reply["origin"] == "retrieval" and reply["text"].startswith("From our FAQ — Do you ship cars")
    other = say(client_for(alpha), "do you repair boat engines?").json()["reply"]
    assert other["origin"] == "fallback"  # an unrelated question still isn't answered with it
