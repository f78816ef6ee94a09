"""The agent bus through the official MCP client: the sender is always the calling token's agent,
messages reach the right inboxes once, survive Redis being down, never cross tenants, and an agent's
sending is rate-limited."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from chat.models import Agent, BusMessage
from chat.services.bus import bus_relay, bus_send, inbox_read
from chat.services.events import events_redis
from inkwell.errors import DomainError, RateLimited
from tenants.models import Membership
from tests.chat.test_events import second_redis  # noqa: F401
from tests.chat.test_mcp import app, calls, error_code, in_schema, token_for  # noqa: F401
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def inboxes(settings, alpha, beta):
    """Alpha's and beta's bus streams emptied (Redis outlives the test's rolled-back transaction)."""
    client = events_redis()
    for world in (alpha, beta):
        for key in client.scan_iter(f"{settings.EVENTS_KEY_PREFIX}:bus:{world.tenant.schema_name}:*"):
            client.delete(key)
    return client


def relay(world) -> int:
    with tenant_context(world.tenant):
        return bus_relay()


def test_the_sender_is_the_calling_agent_whatever_the_payload_says(app, alpha, inboxes):  # noqa: F811
    seo = token_for(alpha, scopes=["notify"], name="SEO agent").secret
    content = token_for(alpha, scopes=["notify"], name="Content agent").secret
    calls(app, alpha, content, ("read_inbox", {}))  # the content agent exists
    (sent,) = calls(
        app,
        alpha,
        seo,
        ("send_message", {"to": "Content agent", "text": "Prices are up.", "from": "owner", "sender": "x"}),
    )
    in_schema(alpha)
    if not sent.is_error:  # extra fields ignored: recorded as the token's agent all the same
        message = BusMessage.objects.get()
        assert message.sender.name == "SEO agent" and message.sender_label == "agent SEO agent"
    else:
        assert error_code(sent) == "invalid_arguments" and not BusMessage.objects.exists()
    (sent,) = calls(app, alpha, seo, ("send_message", {"to": "Content agent", "text": "Prices are up."}))
    assert relay(alpha) >= 1
    (inbox,) = calls(app, alpha, content, ("read_inbox", {}))
    messages = inbox.structured_content["messages"]
    assert [m["from"] for m in messages] == ["SEO agent"] * len(messages)
    assert messages[-1]["id"] == sent.structured_content["id"] and messages[-1]["text"] == "Prices are up."


def test_broadcast_reaches_every_other_agent_once_and_replies_link(app, alpha, inboxes):  # noqa: F811
    secrets = {name: token_for(alpha, scopes=["notify"], name=name).secret for name in ("A", "B", "C")}
    for secret in secrets.values():
        calls(app, alpha, secret, ("read_inbox", {}))
    (sent,) = calls(app, alpha, secrets["A"], ("broadcast", {"text": "Standup in five."}))
    assert relay(alpha) == 1 and relay(alpha) == 0
    (b_inbox,) = calls(app, alpha, secrets["B"], ("read_inbox", {}))
    [got] = b_inbox.structured_content["messages"]
    assert got["text"] == "Standup in five." and got["to"] is None
    (reply,) = calls(
        app, alpha, secrets["B"], ("send_message", {"to": "A", "text": "Ok.", "reply_to": got["id"]})
    )
    relay(alpha)
    a_inbox, again = calls(
        app,
        alpha,
        secrets["A"],
        ("read_inbox", {}),
        ("read_inbox", {"since_cursor": b_inbox.structured_content["next_cursor"]}),
    )
    assert [(m["from"], m["reply_to"]) for m in a_inbox.structured_content["messages"]] == [("B", got["id"])]
    (c_inbox,) = calls(app, alpha, secrets["C"], ("read_inbox", {}))
    assert [m["text"] for m in c_inbox.structured_content["messages"]] == ["Standup in five."]
    assert reply.structured_content["to"] == "A"
    (unknown,) = calls(app, alpha, secrets["A"], ("send_message", {"to": "Nobody", "text": "hi"}))
    assert error_code(unknown) == "bus_unknown_recipient"


def test_another_tenants_agents_never_see_a_message(app, alpha, beta, inboxes):  # noqa: F811
    alphas = token_for(alpha, scopes=["notify"], name="SEO agent").secret
    other = token_for(alpha, scopes=["notify"], name="Content agent").secret
    beta_token = token_for(beta, scopes=["notify"], name="Content agent")
    betas = beta_token.secret
    calls(app, alpha, other, ("read_inbox", {}))
    in_schema(alpha)
    alpha_reader = Agent.objects.get(name="Content agent")
    with tenant_context(beta.tenant):  # the very same agent id in the other business
        Agent.objects.filter(token_id=beta_token.token.pk).delete()  # the one made with the token
        Agent.objects.create(pk=alpha_reader.pk, name="Content agent", token_id=beta_token.token.pk)
    calls(
        app,
        alpha,
        alphas,
        ("send_message", {"to": "Content agent", "text": "Alpha's secret."}),
        ("broadcast", {"text": "Alpha's news."}),
    )
    assert relay(alpha) == 2 and relay(beta) == 0
    (seen,) = calls(app, beta, betas, ("read_inbox", {}))
    assert seen.structured_content["messages"] == []
    (mine,) = calls(app, alpha, other, ("read_inbox", {}))
    assert len(mine.structured_content["messages"]) == 2


def test_an_agent_may_send_the_rate_at_the_limit_and_not_one_more(alpha, settings):
    settings.BUS_RATE_PER_MINUTE = 3
    in_schema(alpha)
    sender, to = Agent.objects.create(name="fast"), Agent.objects.create(name="slow")
    for n in range(3):
        bus_send(sender=sender, sender_label="agent fast", to=to, text=f"m{n}")
    with pytest.raises(RateLimited):
        bus_send(sender=sender, sender_label="agent fast", to=to, text="one more")
    assert BusMessage.objects.count() == 3


def test_a_message_sent_while_redis_is_down_arrives_once_it_is_back(
    alpha,
    second_redis,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    stop, start = second_redis
    in_schema(alpha)
    sender, to = Agent.objects.create(name="writer"), Agent.objects.create(name="reader")
    stop()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = bus_send(sender=sender, sender_label="agent writer", to=to, text="While you were out.")
    message.refresh_from_db()
    assert message.relayed_at is None  # the relay queued by the commit ran and found Redis down
    start()
    assert bus_relay() == 1
    messages, cursor = inbox_read(agent=to, cursor=None)
    assert [m["text"] for m in messages] == ["While you were out."]
    assert bus_relay() == 0 and inbox_read(agent=to, cursor=cursor)[0] == []


# --- the owner's page ---------------------------------------------------------------------------------


def test_the_owner_posts_as_themselves_and_an_owner_of_both_sees_only_this_business(alpha, beta):
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    person = alpha.owner
    in_schema(alpha)
    seo = Agent.objects.create(name="SEO agent")
    bus_send(sender=seo, sender_label="agent SEO agent", to=None, text="Alpha's agents only.")
    on_alpha = client_for(alpha, user=person)
    posted = on_alpha.post(
        "/agents/bus/post/", {"to": str(seo.pk), "text": "Pause the audit.", "sender": "x"}
    )
    assert posted.status_code == 302
    in_schema(alpha)
    message = BusMessage.objects.get(text="Pause the audit.")
    assert message.sender is None and message.sender_label == person.email and message.recipient == seo
    page = on_alpha.get("/agents/bus/").content.decode()
    assert "Pause the audit." in page and "Alpha&#x27;s agents only." in page
    on_beta = client_for(beta, user=person)
    assert "Alpha&#x27;s agents only." not in on_beta.get("/agents/bus/").content.decode()
    # Alpha's agent id is no recipient on beta's host.
    assert on_beta.post("/agents/bus/post/", {"to": str(seo.pk), "text": "Cross."}).status_code == 400
    with tenant_context(beta.tenant):
        assert not BusMessage.objects.exists()
    assert client_for(alpha, user=alpha.member).get("/agents/bus/").status_code == 403


# --- recipients fixed when sent; cursors as strict as the event stream's -----------------------------


def _texts(agent) -> list[str]:
    return [m["text"] for m in inbox_read(agent=agent, cursor=None)[0]]


def test_a_broadcast_reaches_the_agents_alive_when_it_was_sent(alpha, inboxes):
    in_schema(alpha)
    sender = Agent.objects.create(name="sender")
    dies_later = Agent.objects.create(name="dies later")
    dead = Agent.objects.create(name="dead already", state=Agent.State.DEAD)
    message = bus_send(sender=sender, sender_label="agent sender", to=None, text="Standup in five.")
    assert message.recipient_ids == [dies_later.pk]
    Agent.objects.filter(pk=dies_later.pk).update(state=Agent.State.DEAD)  # between send and relay
    newcomer = Agent.objects.create(name="registered after")
    assert bus_relay() == 1
    assert _texts(dies_later) == ["Standup in five."]
    assert _texts(newcomer) == [] and _texts(dead) == [] and _texts(sender) == []
    direct = bus_send(sender=None, sender_label="owner@alpha.example", to=newcomer, text="Welcome.")
    assert direct.recipient_ids == [newcomer.pk]
    assert (
        bus_relay() == 1 and _texts(newcomer) == ["Welcome."] and _texts(dies_later) == ["Standup in five."]
    )


def _invalid(agent, cursor) -> None:
    with pytest.raises(DomainError) as refused:
        inbox_read(agent=agent, cursor=cursor)
    assert refused.value.code == "invalid_cursor"


def test_an_inbox_cursor_is_one_the_inbox_gave_or_refused(alpha, inboxes):
    in_schema(alpha)
    sender, reader = Agent.objects.create(name="writer"), Agent.objects.create(name="reader")
    for cursor in ("abc", "1-2-3", "12", "-1-0", f"{2**64}-0", f"{2**64 - 1}-{2**64 - 1}", "1-x"):
        _invalid(reader, cursor)
    # An empty inbox: any cursor up to Redis' clock may be a real one; one past it can't be.
    seconds, _micros = inboxes.time()
    assert inbox_read(agent=reader, cursor="0-0") == ([], "0-0")
    assert inbox_read(agent=reader, cursor=f"{(seconds - 60) * 1000}-0")[0] == []
    _invalid(reader, f"{(seconds + 3600) * 1000}-0")
    bus_send(sender=sender, sender_label="agent writer", to=reader, text="One.")
    bus_relay()
    [got], cursor = inbox_read(agent=reader, cursor=None)
    assert inbox_read(agent=reader, cursor=cursor) == ([], cursor)  # the newest one: nothing after it
    ms, seq = map(int, cursor.split("-"))
    _invalid(reader, f"{ms}-{seq + 1}")  # ahead of the newest message
    _invalid(reader, f"{ms + 1}-0")
    assert inbox_read(agent=reader, cursor=f"{ms}-{seq - 1}" if seq else f"{ms - 1}-0")[0] == [got]


def test_read_inbox_over_mcp_refuses_a_cursor_it_never_gave(app, alpha, inboxes):  # noqa: F811
    secret = token_for(alpha, scopes=["notify"], name="reader").secret
    first, future, malformed = calls(
        app,
        alpha,
        secret,
        ("read_inbox", {}),
        ("read_inbox", {"since_cursor": "99999999999999-0"}),
        ("read_inbox", {"since_cursor": "1-2-3"}),
    )
    assert first.structured_content == {"messages": [], "next_cursor": "0-0"}
    assert error_code(future) == "invalid_cursor" and error_code(malformed) == "invalid_cursor"


def test_the_migration_gives_messages_already_sent_the_recipients_the_relay_would_have_picked(alpha):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("chat.migrations.0011_bus_recipients")
    in_schema(alpha)
    sender, alive = Agent.objects.create(name="sender"), Agent.objects.create(name="alive")
    Agent.objects.create(name="dead", state=Agent.State.DEAD)
    direct = BusMessage.objects.create(sender=None, sender_label="owner", recipient=sender, text="Hi.")
    broadcast = BusMessage.objects.create(sender=sender, sender_label="agent sender", text="All.")
    migration.fix_recipients(apps, None)
    direct.refresh_from_db()
    broadcast.refresh_from_db()
    assert direct.recipient_ids == [sender.pk] and broadcast.recipient_ids == [alive.pk]
