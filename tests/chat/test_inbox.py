"""The owner's chat inbox: the hand-over SMS (once per hand-over), replies the visitor sees, read state,
the list's filters and query budget, escaping, who may open and answer what, and other tenants kept out."""

import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.models import Conversation, LlmUsage, MemoryEntry, Message
from chat.selectors_inbox import llm_usage_this_month, needs_reply_count_key
from chat.services.conversations import conversation_capture_lead, conversation_handover
from chat.services.inbox import MAX_REPLY, conversation_handover_notify, conversation_mark_read, owner_reply
from tenants.models import Membership, OutboundMessage, TenantConfig, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dash-body"}
V, A = Message.Role.VISITOR, Message.Role.ASSISTANT


def converse(world, *lines, ago=timedelta(0), **fields):
    """A conversation in `world` with `lines` ((role, text) pairs), its last message `ago` ago."""
    when = timezone.now() - ago
    with tenant_context(world.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=when, **fields)
        for role, text in lines:
            origin = Message.Origin.VISITOR if role == V else Message.Origin.RETRIEVAL
            Message.objects.create(conversation=conversation, role=role, origin=origin, text=text)
        Message.objects.filter(conversation=conversation).update(created=when)
    return conversation


def hand_over(world, conversation, capture, reason="Asked about a discount"):
    with tenant_context(world.tenant), capture(execute=True):
        return conversation_handover(conversation=conversation, reason=reason)


def texts(world):
    return OutboundMessage.objects.filter(
        channel="sms", to=world.owner.phone, ref__startswith="conversation:"
    )


def reload(world, conversation):
    with tenant_context(world.tenant):
        return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def both(alpha, beta):
    """A person who is an owner of both alpha and beta, signed in on beta's host."""
    person = User.objects.create_user(email="both-inbox@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    return client_for(beta, user=person)


# --- the hand-over SMS -----------------------------------------------------------------------------


def test_a_hand_over_texts_each_owner_with_a_phone_once_with_a_link(
    alpha, django_capture_on_commit_callbacks
):
    conversation = converse(alpha, (V, "Can you beat a quote of $1,800?"))
    assert hand_over(alpha, conversation, django_capture_on_commit_callbacks) is True
    sms = texts(alpha).get()
    assert sms.ref == f"conversation:{conversation.pk}"
    assert f"alpha.localhost:8000/chat/inbox/{conversation.pk}/" in sms.body
    assert "waiting for your reply" in sms.body and "discount" in sms.body
    assert not OutboundMessage.objects.filter(to=alpha.member.phone).exists()  # members: no text
    # The task redelivered, and the hand-over asked again while it still waits: nothing more is sent.
    with tenant_context(alpha.tenant):
        assert conversation_handover_notify(conversation_id=conversation.pk) is False
    assert hand_over(alpha, conversation, django_capture_on_commit_callbacks) is False
    assert texts(alpha).count() == 1
    assert reload(alpha, conversation).handover_notified_at is not None


def test_a_new_hand_over_after_the_owners_reply_texts_again(alpha, django_capture_on_commit_callbacks):
    conversation = converse(alpha, (V, "Do you insure classic cars?"))
    hand_over(alpha, conversation, django_capture_on_commit_callbacks)
    with tenant_context(alpha.tenant):
        owner_reply(conversation=conversation, text="Yes, up to $250k.", user=alpha.owner)
    assert texts(alpha).count() == 1
    hand_over(alpha, conversation, django_capture_on_commit_callbacks, reason="Wants a call")
    assert texts(alpha).count() == 2
    assert "Wants a call" in texts(alpha).order_by("-pk").first().body


def test_a_conversation_no_longer_waiting_is_not_texted(alpha):
    conversation = converse(alpha, (V, "Hello"))
    with tenant_context(alpha.tenant):
        assert conversation_handover_notify(conversation_id=conversation.pk) is False
        assert conversation_handover_notify(conversation_id=conversation.pk + 1000) is False
    assert not texts(alpha).exists()


# --- replies ---------------------------------------------------------------------------------------


def test_the_owners_reply_is_a_message_the_visitor_sees_and_clears_needs_reply(alpha):
    conversation = converse(alpha, (V, "Is RoRo safe?"), ago=timedelta(hours=2), needs_reply=True)
    client = client_for(alpha, user=alpha.owner)
    response = client.post(f"/chat/inbox/{conversation.pk}/reply/", {"text": "  Yes, fully insured.  "})
    assert response.status_code == 302 and response["Location"] == f"/chat/inbox/{conversation.pk}/"
    with tenant_context(alpha.tenant):
        reply = Message.objects.get(conversation=conversation, role=Message.Role.OWNER)
    assert (reply.text, reply.origin) == ("Yes, fully insured.", Message.Origin.OWNER)
    assert reply.author_label == "Alpha Movers Owner"
    fresh = reload(alpha, conversation)
    assert not fresh.needs_reply and not fresh.unread
    assert fresh.last_message_at == reply.created > conversation.last_message_at
    page = client.get(f"/chat/inbox/{conversation.pk}/").content.decode()
    assert "Yes, fully insured." in page and "Needs reply" not in page


def test_a_member_may_reply_through_htmx_and_sees_the_transcript(alpha):
    conversation = converse(alpha, (V, "Transit time to Calgary?"))
    response = client_for(alpha, user=alpha.member).post(
        f"/chat/inbox/{conversation.pk}/reply/", {"text": "About 5 days."}, **BODY
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "About 5 days." in page and "Transit time to Calgary?" in page and "<html" not in page


EMPTY, TOO_LONG = "Write a reply first.", "At most 2000 characters."


@pytest.mark.parametrize("text, error", [("", EMPTY), ("   ", EMPTY), ("x" * MAX_REPLY, None), ("x" * (MAX_REPLY + 1), TOO_LONG)])  # fmt: skip
def test_a_reply_is_between_one_and_2000_characters(alpha, text, error):
    conversation = converse(alpha, (V, "Hi"), needs_reply=True)
    client = client_for(alpha, user=alpha.owner)
    response = client.post(f"/chat/inbox/{conversation.pk}/reply/", {"text": text})
    with tenant_context(alpha.tenant):
        stored = Message.objects.filter(role=Message.Role.OWNER).count()
    expected = (302, 1, False) if error is None else (400, 0, True)
    assert (response.status_code, stored, reload(alpha, conversation).needs_reply) == expected
    if error:
        assert error in response.content.decode()


# --- read state and the list -----------------------------------------------------------------------


def test_opening_a_conversation_marks_it_read_until_the_visitor_writes_again(alpha):
    conversation = converse(alpha, (V, "Quote for a Civic?"), ago=timedelta(minutes=5))
    client = client_for(alpha, user=alpha.member)
    unread = "?show=unread"
    assert "Quote for a Civic?" in client.get(f"/chat/inbox/{unread}").content.decode()
    assert client.get(f"/chat/inbox/{conversation.pk}/").status_code == 200
    assert reload(alpha, conversation).unread is False
    assert "Quote for a Civic?" not in client.get(f"/chat/inbox/{unread}").content.decode()
    # The visitor writes again: unread for the whole team.
    with tenant_context(alpha.tenant):
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    assert (
        "Quote for a Civic?"
        in client_for(alpha, user=alpha.owner).get(f"/chat/inbox/{unread}").content.decode()
    )


def test_the_filters_newest_first_badges_and_lead_link(alpha, django_capture_on_commit_callbacks):
    old = converse(alpha, (V, "Older question about containers"), ago=timedelta(days=3))
    waiting = converse(
        alpha, (V, "Newer question, needs you"), (A, "Let me get the owner."), needs_reply=True
    )
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        lead = conversation_capture_lead(conversation=old, name="Nadia Petrov", phone="+16475550999")
    client = client_for(alpha, user=alpha.owner)
    client.get(f"/chat/inbox/{old.pk}/")  # read
    everything = client.get("/chat/inbox/").content.decode()
    assert everything.index("Newer question") < everything.index("Older question")
    assert f'href="/leads/{lead.pk}/">Nadia Petrov</a>' in everything
    row = everything[everything.index("Newer question") :].split("</tr>")[0]
    assert "Needs reply" in row and "Unread" in row and "<td>2</td>" in row
    needs = client.get("/chat/inbox/?show=needs-reply", **BODY).content.decode()
    assert "Newer question" in needs and "Older question" not in needs and "<html" not in needs
    unread = client.get("/chat/inbox/?show=unread").content.decode()
    assert "Newer question" in unread and "Older question" not in unread
    assert waiting.pk  # (the waiting one is in all three)
    bogus = client.get("/chat/inbox/?show=bogus").content.decode()
    assert "Newer question" in bogus and "Older question" in bogus


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_for_one_conversation_or_sixty(
    alpha, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client = client_for(alpha, user=alpha.owner)
    converse(alpha, (V, "First"), (A, "Answer"))
    client.get("/chat/inbox/")  # the session's first use
    one = queries(client, "/chat/inbox/")
    for n in range(59):
        conversation = converse(alpha, (V, f"Question {n}"), (A, "Answer"), needs_reply=n % 2 == 0)
        if n % 3 == 0:
            with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
                conversation_capture_lead(conversation=conversation, email=f"v{n}@example.com")
    with django_assert_num_queries(one):
        response = client.get("/chat/inbox/")
    assert response.content.decode().count("<tr") == 26  # the head and a page of 25
    with django_assert_num_queries(one):
        client.get("/chat/inbox/?show=needs-reply&page=2")


def test_the_transcript_costs_the_same_queries_whatever_its_length(alpha, django_assert_num_queries):
    with tenant_context(alpha.tenant):
        entry = MemoryEntry.objects.create(title="Insurance", text="Covered.", digest="d1")
    short = converse(alpha, (V, "Hi"))
    long = converse(alpha, *[(V, f"Q{n}") for n in range(30)])
    with tenant_context(alpha.tenant):
        Message.objects.filter(conversation__in=[short, long], role=V).update(sources=[entry.pk])
    client = client_for(alpha, user=alpha.owner)
    client.get("/chat/inbox/")  # the session's first use
    with django_assert_num_queries(queries(client, f"/chat/inbox/{short.pk}/")):
        client.get(f"/chat/inbox/{long.pk}/")


# --- what the pages show ---------------------------------------------------------------------------

SCRIPT, IMG = "<script>alert(1)</script>", '<img src=x onerror="alert(2)">'


def test_visitor_and_model_html_is_shown_as_text_in_the_list_and_the_transcript(alpha):
    conversation = converse(alpha, (V, SCRIPT), (A, IMG), (V, IMG))
    client = client_for(alpha, user=alpha.owner)
    for page in (client.get("/chat/inbox/"), client.get(f"/chat/inbox/{conversation.pk}/")):
        html = page.content.decode()
        assert SCRIPT not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


def test_the_transcript_labels_roles_cites_sources_and_shows_the_lead_and_reason(
    alpha, django_capture_on_commit_callbacks
):
    with tenant_context(alpha.tenant):
        faq = MemoryEntry.objects.create(title="How long to Vancouver?", text="7 to 10 days.", digest="a")
        note = MemoryEntry.objects.create(text="Open inspections at the Vaughan depot.", digest="b")
        gone = MemoryEntry.objects.create(title="Deleted since", text="x", digest="c")
    conversation = converse(alpha, (V, "Transit to Vancouver?"), (A, "7 to 10 days."), needs_reply=True,
                            handover_reason="Wants a firm date")  # fmt: skip
    with tenant_context(alpha.tenant):
        Message.objects.filter(role=A).update(sources=[faq.pk, note.pk, gone.pk])
        gone.delete()
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        lead = conversation_capture_lead(conversation=conversation, name="Ivo Marsh", email="ivo@example.com")
    html = client_for(alpha, user=alpha.owner).get(f"/chat/inbox/{conversation.pk}/").content.decode()
    assert "Visitor" in html and "Assistant" in html and "FAQ or memory match" in html
    assert "How long to Vancouver?" in html and "Open inspections at the Vaughan depot." in html
    assert "Deleted since" not in html
    assert f'href="/leads/{lead.pk}/">Ivo Marsh</a>' in html
    assert "Wants a firm date" in html and "Needs reply" in html
    # each message once, in the transcript: none repeated above the page as a notice
    assert html.count("Transit to Vancouver?") == 1 and 'class="notice"' not in html


def nav_count(html: str) -> str | None:
    found = re.search(r'href="/chat/inbox/"[^>]*>Inbox(?: <span class="nav-count">(\d+))?', html)
    assert found, "no Inbox link in the navigation"
    return found.group(1)


def test_the_navigation_counts_conversations_waiting_for_a_reply_at_no_query(
    alpha, django_capture_on_commit_callbacks
):
    client = client_for(alpha, user=alpha.member)
    assert nav_count(client.get("/leads/").content.decode()) is None
    first = converse(alpha, (V, "a"))
    for conversation in (first, converse(alpha, (V, "b"))):
        hand_over(alpha, conversation, django_capture_on_commit_callbacks)
    converse(alpha, (V, "c"))
    html = client.get("/leads/").content.decode()
    assert nav_count(html) == "2" and '<span class="visually-hidden"> waiting for a reply</span>' in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/chat/inbox/{first.pk}/reply/", {"text": "Done."})
    assert nav_count(client.get("/leads/").content.decode()) == "1"
    # The cache emptied: no number (rather than a query on every page) until the inbox is looked at.
    cache.delete(needs_reply_count_key(alpha.tenant.schema_name))
    assert nav_count(client.get("/leads/").content.decode()) is None
    assert nav_count(client.get("/chat/inbox/").content.decode()) == "1"
    assert nav_count(client.get("/leads/").content.decode()) == "1"
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_chat=False)
    assert "/chat/inbox/" not in client.get("/leads/").content.decode()


def test_the_count_is_each_tenants_own(alpha, beta, django_capture_on_commit_callbacks):
    hand_over(alpha, converse(alpha, (V, "a")), django_capture_on_commit_callbacks)
    assert nav_count(client_for(alpha, user=alpha.owner).get("/leads/").content.decode()) == "1"
    assert nav_count(client_for(beta, user=beta.owner).get("/leads/").content.decode()) is None


def test_the_inbox_shows_this_months_token_use_and_cost(alpha):
    tz = ZoneInfo("America/Toronto")
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(timezone="America/Toronto")
    now = datetime(2026, 3, 15, 12, tzinfo=tz)
    month_start = datetime(2026, 3, 1, tzinfo=tz)
    with tenant_context(alpha.tenant):
        for created, tokens, cost in [(month_start, (1000, 200), "0.0123"), (now, (500, 300), "0.0100"),
                                      (month_start - timedelta(seconds=1), (9999, 9999), "9")]:  # fmt: skip
            usage = LlmUsage.objects.create(backend="anthropic", model="m", input_tokens=tokens[0],
                                            output_tokens=tokens[1], cost_usd=Decimal(cost))  # fmt: skip
            LlmUsage.objects.filter(pk=usage.pk).update(created=created)
        usage = llm_usage_this_month(tz_name="America/Toronto", now=now)
    assert (usage.input_tokens, usage.output_tokens, usage.calls) == (1500, 500, 2)
    assert usage.tokens == 2000 and usage.cost_usd == Decimal("0.0223")
    with tenant_context(alpha.tenant):
        LlmUsage.objects.update(created=timezone.now())
    html = client_for(alpha, user=alpha.owner).get("/chat/inbox/").content.decode()
    plain = html.replace("\xa0", "").replace(",", "")  # the thousands separator is the locale's
    assert "21998 tokens (11499 in 10499 out) over 3 calls" in plain and "US$9.02" in html


# --- who may see what ------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(alpha):
    conversation = converse(alpha, (V, "Hi"))
    client = client_for(alpha)
    for url in ("/chat/inbox/", f"/chat/inbox/{conversation.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    response = client.post(f"/chat/inbox/{conversation.pk}/reply/", {"text": "hi"})
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    with tenant_context(alpha.tenant):
        assert not Message.objects.filter(role=Message.Role.OWNER).exists()


def test_a_person_of_both_tenants_cannot_open_or_answer_the_other_tenants_conversation(alpha, beta, both):
    conversation = converse(alpha, (V, "Alpha's secret question"), needs_reply=True)
    assert both.get(f"/chat/inbox/{conversation.pk}/").status_code == 404
    assert both.post(f"/chat/inbox/{conversation.pk}/reply/", {"text": "Hijack"}).status_code == 404
    assert "Alpha's secret question" not in both.get("/chat/inbox/").content.decode()
    with tenant_context(alpha.tenant):
        assert not Message.objects.filter(role=Message.Role.OWNER).exists()
    fresh = reload(alpha, conversation)
    assert fresh.needs_reply and fresh.owner_read_at is None
    # On alpha's own host the same person gets in: only the tenant check stopped them.
    person = User.objects.get(email="both-inbox@example.com")
    assert client_for(alpha, user=person).get(f"/chat/inbox/{conversation.pk}/").status_code == 200


def test_a_signed_in_non_member_gets_404(alpha, beta):
    conversation = converse(alpha, (V, "Hi"))
    outsider = client_for(alpha, user=beta.owner)
    assert outsider.get("/chat/inbox/").status_code == 404
    assert outsider.get(f"/chat/inbox/{conversation.pk}/").status_code == 404


def test_the_inbox_is_404_when_chat_is_switched_off(alpha):
    conversation = converse(alpha, (V, "Hi"))
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_chat=False)
    client = client_for(alpha, user=alpha.owner)
    assert client.get("/chat/inbox/").status_code == 404
    assert client.get(f"/chat/inbox/{conversation.pk}/").status_code == 404
    assert client.post(f"/chat/inbox/{conversation.pk}/reply/", {"text": "x"}).status_code == 404


# --- the demo ----------------------------------------------------------------------------------------


def test_the_demo_conversations_load_once_with_real_chat_leads(alpha, django_capture_on_commit_callbacks):
    from chat.demo import chat_demo_load
    from marketing.models import Lead

    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        assert chat_demo_load(owner=alpha.owner) == 6
        assert chat_demo_load(owner=alpha.owner) == 0
        assert Conversation.objects.count() == 6
        leads = Lead.objects.filter(source=Lead.Source.CHAT, conversations__isnull=False)
        assert sorted(leads.values_list("name", flat=True)) == ["Luca Bianchi", "Sophie Tremblay"]
        waiting = Conversation.objects.get(needs_reply=True)
        assert "Winnipeg" in waiting.messages.first().text
        answered = Message.objects.get(role=Message.Role.OWNER).conversation
        assert not answered.needs_reply and answered.handover_reason
        assert Message.objects.exclude(sources=[]).count() == 2 and LlmUsage.objects.count() == 3
        oldest = Conversation.objects.order_by("last_message_at").first()
        assert timezone.now() - oldest.started > timedelta(days=20)
    assert texts(alpha).count() == 1  # the hand-over still waiting; the answered one sent nothing
    html = client_for(alpha, user=alpha.owner).get("/chat/inbox/").content.decode()
    assert "Luca Bianchi" in html and "project car" in html


# --- the API -----------------------------------------------------------------------------------------


def key(world, label="CRM"):
    from tenants.services.apikeys import apikey_create

    secret = apikey_create(tenant=world.tenant, label=label, actor=None).key
    return client_for(world, HTTP_AUTHORIZATION=f"Api-Key {secret}")


def test_members_and_keys_read_conversations_and_their_messages(alpha, django_capture_on_commit_callbacks):
    old = converse(alpha, (V, "Old one"), ago=timedelta(days=1))
    new = converse(alpha, (V, SCRIPT), (A, "Answer"), needs_reply=True, handover_reason="Price")
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        conversation_capture_lead(conversation=new, name="Rae Lin", email="rae@example.com")
    for client in (client_for(alpha, user=alpha.member), key(alpha)):
        listed = client.get("/api/v1/chat/conversations/").json()
        assert [c["id"] for c in listed["results"]] == [new.pk, old.pk]
        first = listed["results"][0]
        assert (first["first_line"], first["message_count"], first["needs_reply"]) == (SCRIPT, 2, True)
        assert (first["lead_name"], first["unread"]) == ("Rae Lin", True)
        waiting = client.get("/api/v1/chat/conversations/?show=needs-reply").json()["results"]
        assert [c["id"] for c in waiting] == [new.pk]
        detail = client.get(f"/api/v1/chat/conversations/{new.pk}/").json()
        assert [(m["role"], m["text"]) for m in detail["messages"]] == [
            ("visitor", SCRIPT),
            ("assistant", "Answer"),
        ]
        assert detail["handover_reason"] == "Price" and detail["lead_name"] == "Rae Lin"
    assert reload(alpha, new).unread  # the API marks nothing read


def test_the_api_refuses_a_bad_filter_strangers_and_other_tenants(alpha, beta, both):
    conversation = converse(alpha, (V, "Alpha's question"))
    member = client_for(alpha, user=alpha.member)
    response = member.get("/api/v1/chat/conversations/?show=bogus")
    assert response.status_code == 400 and "show" in response.json()["fields"]
    assert client_for(alpha).get("/api/v1/chat/conversations/").status_code in (401, 403)
    assert both.get(f"/api/v1/chat/conversations/{conversation.pk}/").status_code == 404
    assert both.get("/api/v1/chat/conversations/").json()["results"] == []
    beta_key = key(beta)
    beta_key.defaults["HTTP_HOST"] = alpha.host  # beta's key on alpha's host
    assert beta_key.get(f"/api/v1/chat/conversations/{conversation.pk}/").status_code in (401, 403, 404)
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_chat=False)
    assert member.get("/api/v1/chat/conversations/").status_code == 404


def test_the_api_list_costs_the_same_queries_for_one_conversation_or_thirty(alpha, django_assert_num_queries):
    client = client_for(alpha, user=alpha.member)
    converse(alpha, (V, "First"))
    client.get("/api/v1/chat/conversations/")
    one = queries(client, "/api/v1/chat/conversations/")
    for n in range(30):
        converse(alpha, (V, f"Q{n}"), (A, "A"))
    with django_assert_num_queries(one):
        assert len(client.get("/api/v1/chat/conversations/").json()["results"]) == 20


def test_an_owner_without_a_phone_is_skipped_and_the_others_texted(alpha, django_capture_on_commit_callbacks):
    second = User.objects.create_user(email="second-owner@alpha.example", phone="+14165550199")
    Membership.objects.create(user=second, tenant=alpha.tenant, role=Membership.Role.OWNER)
    User.objects.filter(pk=alpha.owner.pk).update(phone="")
    hand_over(alpha, converse(alpha, (V, "Hi")), django_capture_on_commit_callbacks)
    sent = OutboundMessage.objects.filter(channel="sms", ref__startswith="conversation:")
    assert list(sent.values_list("to", flat=True)) == ["+14165550199"]


def test_reading_never_moves_the_mark_backwards(alpha):
    conversation = converse(alpha, (V, "Hi"), ago=timedelta(hours=1))
    client_for(alpha, user=alpha.owner).get(f"/chat/inbox/{conversation.pk}/")
    marked = reload(alpha, conversation).owner_read_at
    assert marked == conversation.last_message_at
    later = timezone.now() + timedelta(minutes=5)  # another tab read a newer message meanwhile
    with tenant_context(alpha.tenant):
        Conversation.objects.filter(pk=conversation.pk).update(owner_read_at=later)
        stale = Conversation.objects.get(pk=conversation.pk)
        stale.owner_read_at = None  # as a page loaded before the other tab's read saw it
        conversation_mark_read(conversation=stale, user=alpha.owner)
    assert reload(alpha, conversation).owner_read_at == later


def test_the_filter_links_keep_the_state_in_the_url(alpha):
    html = client_for(alpha, user=alpha.owner).get("/chat/inbox/?show=unread&page=1").content.decode()
    tabs = html[html.index('aria-label="Which conversations"') :].split("</nav>")[0]
    assert 'href="/chat/inbox/"' in tabs and 'href="/chat/inbox/?show=needs-reply"' in tabs
    assert (
        'href="/chat/inbox/?show=unread" hx-get="/chat/inbox/?show=unread" hx-target="#dash-body" hx-push-url="true" aria-current="page"'
        in tabs
    )
