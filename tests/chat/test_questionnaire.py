"""The daily questionnaire: one question per local day (two beats, a late beat, DST days, two beats at
once), replies by SMS routed to the right tenant and kept in the business memory, STOP, a week
unanswered pausing once, RESUME, HELP, and the owner page with its permissions across tenants."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from twilio.request_validator import RequestValidator

from chat.models import Answer, MemoryEntry, Question, QuestionAsk, QuestionnaireSettings
from chat.questionnaire import DEFAULT_QUESTIONS
from chat.questionnaire_demo import questionnaire_demo_load
from chat.services.questionnaire import (
    PAUSE_AFTER,
    question_for_date,
    questionnaire_answer,
    questionnaire_send_due,
    questionnaire_settings_get,
    questionnaire_settings_update,
)
from chat.tasks import questionnaire_send_all
from tenants.models import Membership, OutboundMessage, SmsPrompt, Tenant, TenantConfig, User
from tests.conftest import client_for, on_own_connection

pytestmark = pytest.mark.django_db
TORONTO = ZoneInfo("America/Toronto")
TOKEN = "test-auth-token"
INBOUND = "/webhooks/twilio/inbound/"
SHARED = "+14165550199"  # a mobile that owns two businesses


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TORONTO)


def configure(world, **data):
    with tenant_context(world.tenant):
        return questionnaire_settings_update(data=data)


def send(world, when: datetime):
    """One beat for `world` at `when` (the service the hourly task calls)."""
    with tenant_context(world.tenant):
        tenant = Tenant.objects.select_related("config").get(pk=world.tenant.pk)
        return questionnaire_send_due(tenant=tenant, now=when)


def asks(world) -> list[QuestionAsk]:
    with tenant_context(world.tenant):
        return list(QuestionAsk.objects.order_by("local_date").prefetch_related("answers"))


def texts(phone: str) -> list[str]:
    return list(
        OutboundMessage.objects.filter(to=phone, channel=OutboundMessage.Channel.SMS)
        .exclude(status=OutboundMessage.Status.SKIPPED)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def sms_in(client, sender: str, body: str, *, token: str = TOKEN):
    params = {"From": sender, "Body": body, "MessageSid": "SM" + "a" * 32}
    signature = RequestValidator(token).compute_signature(f"http://localhost:8000{INBOUND}", params)
    with override_settings(TWILIO_AUTH_TOKEN=TOKEN):
        return client.post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signature)


def reply_text(response) -> str:
    body = response.content.decode()
    return body.split("<Message>", 1)[1].split("</Message>", 1)[0] if "<Message>" in body else ""


@pytest.fixture
def both(alpha, beta):
    """A person who owns both tenants, signed in on beta's host."""
    person = User.objects.create_user(email="both-questionnaire@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    return client_for(beta, user=person)


# --- the bank -------------------------------------------------------------------------------------


def test_every_tenant_starts_with_thirty_questions_in_four_groups(alpha, beta):
    assert len(DEFAULT_QUESTIONS) == 30
    for world in (alpha, beta):
        with tenant_context(world.tenant):
            bank = list(Question.objects.order_by("position").values_list("position", "group", "text"))
        assert [(p, g, t) for p, g, t in bank] == [
            (i, g, t) for i, (g, t) in enumerate(DEFAULT_QUESTIONS, start=1)
        ]
        assert {g for _, g, _ in bank} == {"revenue", "operations", "marketing", "strategy"}


def test_the_question_rotates_by_day_of_the_year_over_the_active_ones(alpha):
    with tenant_context(alpha.tenant):
        first, second, third = Question.objects.order_by("position")[:3]
        assert question_for_date(local_date=date(2026, 1, 1)) == first
        assert question_for_date(local_date=date(2026, 1, 2)) == second
        assert question_for_date(local_date=date(2026, 1, 31)) == first  # 30 questions: day 31 wraps
        Question.objects.filter(pk=second.pk).update(active=False)
        assert question_for_date(local_date=date(2026, 1, 2)) == third
        assert question_for_date(local_date=date(2026, 1, 30)) == first  # 29 active now
        Question.objects.update(active=False)
        assert question_for_date(local_date=date(2026, 1, 2)) is None


def test_settings_default_to_the_first_owners_mobile(alpha):
    with tenant_context(alpha.tenant):
        settings_ = questionnaire_settings_get()
    assert settings_.phone == alpha.owner.phone and settings_.enabled


# --- sending --------------------------------------------------------------------------------------


def test_the_hourly_beat_sends_one_question_a_local_day(alpha):
    configure(alpha, send_hour=17)
    phone = alpha.owner.phone
    for when in ["2026-06-10T16:59", "2026-06-10T17:03", "2026-06-10T18:03", "2026-06-10T23:59"]:
        with time_machine.travel(local(when), tick=False):
            questionnaire_send_all.delay()  # the real fan-out, run inline (eager) for every tenant
    [ask] = asks(alpha)
    assert ask.local_date == date(2026, 6, 10) and ask.sent_at == local("2026-06-10T17:03")
    assert texts(phone) == [f"Alpha Movers daily question: {ask.question_text} (Reply with your answer.)"]
    assert SmsPrompt.objects.filter(tenant=alpha.tenant, phone=phone, ref=f"question_ask:{ask.pk}").exists()
    # The beat was down all afternoon: a late run still sends that day's question.
    send(alpha, local("2026-06-11T22:30"))
    assert [a.local_date for a in asks(alpha)] == [date(2026, 6, 10), date(2026, 6, 11)]
    assert len(texts(phone)) == 2


@pytest.mark.parametrize(
    "day, hour, sent_utc",
    [
        # spring forward: 02:00 doesn't exist (01:59 EST → 03:00 EDT), a 23-hour day
        (date(2026, 3, 8), 2, datetime(2026, 3, 8, 7, 3, tzinfo=ZoneInfo("UTC"))),
        # fall back: 01:00–01:59 happens twice (EDT then EST), a 25-hour day
        (date(2026, 11, 1), 1, datetime(2026, 11, 1, 5, 3, tzinfo=ZoneInfo("UTC"))),
    ],
)
def test_a_dst_day_still_gets_exactly_one_question(alpha, day, hour, sent_utc):
    configure(alpha, send_hour=hour)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), TORONTO)
    for hour in range(72):  # the hourly beat (a few minutes past each hour) for three local days
        send(alpha, start + timedelta(hours=hour, minutes=3))
    sent = {a.local_date: a.sent_at for a in asks(alpha)}
    assert sorted(sent) == [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert sent[day] == sent_utc
    assert len(texts(alpha.owner.phone)) == 3


def test_nothing_is_sent_when_off_paused_without_a_mobile_or_outside_the_plan(alpha):
    when = local("2026-06-10T18:00")
    configure(alpha, enabled=False)
    assert send(alpha, when) is None
    configure(alpha, enabled=True, phone="")
    assert send(alpha, when) is None
    configure(alpha, phone=alpha.owner.phone)
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_questionnaire=False)
    assert send(alpha, when) is None
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_questionnaire=True)
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="seo")
    assert send(alpha, when) is None
    assert asks(alpha) == [] and texts(alpha.owner.phone) == []
    Tenant.objects.filter(pk=alpha.tenant.pk).update(plan="full")
    assert send(alpha, when) is not None


def test_two_beats_at_once_send_one_sms(alpha):
    """Two workers run the same tenant's beat at the same moment, each on its own connection."""
    barrier = threading.Barrier(2)
    outcomes = []
    when = local("2026-06-10T18:00")

    def beat():
        try:
            with tenant_context(alpha.tenant):
                tenant = Tenant.objects.select_related("config").get(pk=alpha.tenant.pk)
                barrier.wait()
                ask = questionnaire_send_due(tenant=tenant, now=when)
                outcomes.append(ask.pk if ask else None)
        except Exception as exc:  # noqa: BLE001 -- asserted below
            outcomes.append(repr(exc))
        finally:
            close_old_connections()

    def committed():
        with tenant_context(alpha.tenant):
            asked = QuestionAsk.objects.count()
        return asked, OutboundMessage.objects.filter(
            tenant=alpha.tenant, ref__startswith="question_ask:"
        ).count()

    def teardown():
        OutboundMessage.objects.filter(tenant=alpha.tenant, ref__startswith="question_ask:").delete()
        SmsPrompt.objects.filter(tenant=alpha.tenant).delete()
        with tenant_context(alpha.tenant):
            QuestionAsk.objects.all().delete()
            QuestionnaireSettings.objects.all().delete()

    try:
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(outcomes) == 2 and outcomes.count(None) == 1, outcomes
        assert any(isinstance(outcome, int) for outcome in outcomes), outcomes
        assert on_own_connection(committed) == (1, 1)
    finally:
        on_own_connection(teardown)


# --- replies ----------------------------------------------------------------------------------------


def owner_of_both(alpha, beta, phone=SHARED):
    person = User.objects.create_user(email="shared-mobile@example.com", phone=phone)
    for world in (alpha, beta):
        Membership.objects.create(user=person, tenant=world.tenant, role=Membership.Role.OWNER)
    return person


def test_a_reply_answers_the_newest_open_question_of_the_right_tenant(alpha, beta, public_client):
    owner_of_both(alpha, beta)
    configure(alpha, phone=SHARED)
    configure(beta, phone=SHARED)
    send(alpha, local("2026-06-10T17:00"))
    send(beta, local("2026-06-10T17:01"))
    [alpha_ask], [beta_ask] = asks(alpha), asks(beta)

    reply = reply_text(sms_in(public_client, SHARED, "Toronto to Calgary, by far."))
    assert reply == "Thanks! Saved to Beta Shipping's business memory."
    [beta_ask], [alpha_ask] = asks(beta), asks(alpha)
    assert [a.text for a in beta_ask.answers.all()] == ["Toronto to Calgary, by far."]
    assert beta_ask.answered_at and alpha_ask.answered_at is None
    with tenant_context(beta.tenant):
        entry = MemoryEntry.objects.get(text="Toronto to Calgary, by far.")
        group = Question.objects.get(pk=beta_ask.question_id).group
    assert (entry.title, entry.source, entry.tags) == (beta_ask.question_text, "questionnaire", [group])
    assert entry.author_label == f"SMS from {SHARED}"
    with tenant_context(alpha.tenant):
        assert not MemoryEntry.objects.exists()

    # The next reply goes to the question still open: alpha's.
    reply_text(sms_in(public_client, SHARED, "Montreal to Vancouver."))
    [alpha_ask] = asks(alpha)
    assert [a.text for a in alpha_ask.answers.all()] == ["Montreal to Vancouver."]
    # Both answered: a second thought is added to the newest question, and the reply says so.
    assert reply_text(sms_in(public_client, SHARED, "Also Halifax in June.")) == (
        "Thanks! Added as another answer to that question."
    )
    [beta_ask] = asks(beta)
    assert sorted(a.text for a in beta_ask.answers.all()) == [
        "Also Halifax in June.",
        "Toronto to Calgary, by far.",
    ]
    assert SmsPrompt.objects.filter(phone=SHARED, answered_at__isnull=True).count() == 0


def test_a_reply_from_a_number_with_no_question_is_not_claimed(alpha, public_client):
    send(alpha, local("2026-06-10T17:00"))
    response = sms_in(public_client, "+14165550777", "Hello?")
    assert response.status_code == 200 and reply_text(response) == ""
    with tenant_context(alpha.tenant):
        assert not Answer.objects.exists() and not MemoryEntry.objects.exists()


def test_an_old_answered_question_takes_no_more_replies(alpha, public_client):
    send(alpha, local("2026-06-10T17:00"))
    with time_machine.travel(local("2026-06-10T17:30"), tick=False):
        sms_in(public_client, alpha.owner.phone, "Ottawa.")
    with time_machine.travel(local("2026-06-11T17:29"), tick=False):  # the limit: 24 h after the answer
        assert "another answer" in reply_text(sms_in(public_client, alpha.owner.phone, "And Kingston."))
    with time_machine.travel(local("2026-06-11T17:31"), tick=False):  # one past it
        assert reply_text(sms_in(public_client, alpha.owner.phone, "And Sudbury.")) == ""
    [ask] = asks(alpha)
    assert [a.text for a in sorted(ask.answers.all(), key=lambda a: a.created)] == [
        "Ottawa.",
        "And Kingston.",
    ]


def test_a_forged_signature_is_refused_and_stores_nothing(alpha, public_client):
    send(alpha, local("2026-06-10T17:00"))
    response = sms_in(public_client, alpha.owner.phone, "Toronto.", token="not-the-token")
    assert response.status_code == 403
    [ask] = asks(alpha)
    assert ask.answered_at is None and list(ask.answers.all()) == []
    with tenant_context(alpha.tenant):
        assert not MemoryEntry.objects.exists()


def test_stop_stops_the_questions_and_start_brings_them_back(alpha, public_client):
    phone = alpha.owner.phone
    send(alpha, local("2026-06-10T17:00"))
    sms_in(public_client, phone, "STOP")
    for day in range(11, 11 + PAUSE_AFTER + 2):  # more than a week: no asks, so no pause either
        send(alpha, local(f"2026-06-{day}T17:00"))
    assert [a.local_date for a in asks(alpha)] == [date(2026, 6, 10)]
    assert len(texts(phone)) == 1
    assert SmsPrompt.objects.filter(tenant=alpha.tenant).count() == 1
    page = client_for(alpha, user=alpha.owner).get("/questionnaire/").content.decode()
    assert "texted STOP" in page
    sms_in(public_client, phone, "START")
    assert send(alpha, local("2026-06-21T17:00")) is not None
    with tenant_context(alpha.tenant):
        assert QuestionnaireSettings.objects.get().paused_at is None


def test_a_week_unanswered_pauses_once_and_resume_starts_again(alpha, public_client):
    phone = alpha.owner.phone
    for day in range(1, PAUSE_AFTER + 1):  # at the limit: the 7th question is still sent
        assert send(alpha, local(f"2026-06-0{day}T17:00")) is not None
    assert len(texts(phone)) == PAUSE_AFTER
    assert send(alpha, local("2026-06-08T17:00")) is None  # one past: paused, and told once
    assert send(alpha, local("2026-06-09T17:00")) is None
    assert send(alpha, local("2026-06-10T17:00")) is None
    sent = texts(phone)
    assert len(sent) == PAUSE_AFTER + 1 and "Reply RESUME" in sent[-1] and "/questionnaire/" in sent[-1]
    page = client_for(alpha, user=alpha.owner).get("/questionnaire/").content.decode()
    assert "Questions are paused" in page
    # A plain reply to the pause notice is told how to resume (and answers nothing).
    assert "RESUME" in reply_text(sms_in(public_client, phone, "ok"))

    assert reply_text(sms_in(public_client, phone, "resume")).startswith("Daily questions from Alpha Movers")
    assert send(alpha, local("2026-06-10T18:00")) is not None
    # The week starts over: a day later the question is sent, not another pause.
    assert send(alpha, local("2026-06-11T17:00")) is not None
    assert "aren't paused" in reply_text(sms_in(public_client, phone, "RESUME"))


def test_one_resume_restarts_every_business_the_number_gets_questions_from(alpha, beta, public_client):
    owner_of_both(alpha, beta)
    for world in (alpha, beta):
        configure(world, phone=SHARED)
        for day in range(1, PAUSE_AFTER + 2):  # a week unanswered, then paused
            send(world, local(f"2026-06-0{day}T17:00"))
    reply = reply_text(sms_in(public_client, SHARED, "RESUME"))
    assert "Alpha Movers" in reply and "Beta" in reply
    for world in (alpha, beta):
        with tenant_context(world.tenant):
            assert QuestionnaireSettings.objects.get().paused_at is None


def test_an_answer_breaks_the_unanswered_week(alpha):
    for day in range(1, PAUSE_AFTER):
        send(alpha, local(f"2026-06-0{day}T17:00"))
    first = asks(alpha)[0]
    with tenant_context(alpha.tenant):
        questionnaire_answer(ask=first, text="Busy week.", via="dashboard")
    assert send(alpha, local("2026-06-07T17:00")) is not None
    assert send(alpha, local("2026-06-08T17:00")) is not None  # only 7 in a row would pause


def test_help_from_an_owner_explains_the_questions(alpha, public_client):
    send(alpha, local("2026-06-10T17:00"))
    reply = reply_text(sms_in(public_client, alpha.owner.phone, "HELP"))
    assert "daily questions for Alpha Movers" in reply and "STOP" in reply and "RESUME" in reply
    assert "contracts" in reply_text(sms_in(public_client, "+14165550777", "HELP"))  # a customer's


# --- the page ------------------------------------------------------------------------------------


def test_owners_change_settings_members_only_read(alpha):
    owner, member = client_for(alpha, user=alpha.owner), client_for(alpha, user=alpha.member)
    page = member.get("/questionnaire/")
    assert page.status_code == 200 and "Only an owner can change this" in page.content.decode()
    assert (
        member.post("/questionnaire/settings/", {"phone": "416 555 0123", "send_hour": 9}).status_code == 403
    )
    assert owner.post("/questionnaire/settings/", {"phone": "not a phone", "send_hour": 9}).status_code == 400
    assert owner.post("/questionnaire/settings/", {"phone": "", "send_hour": 24}).status_code == 400
    with tenant_context(alpha.tenant):
        assert QuestionnaireSettings.objects.get().phone == alpha.owner.phone
    response = owner.post(
        "/questionnaire/settings/", {"phone": "416 555 0101", "send_hour": 23, "enabled": "on"}
    )
    assert response.status_code == 302
    with tenant_context(alpha.tenant):
        settings_ = QuestionnaireSettings.objects.get()
    assert (settings_.phone, settings_.send_hour, settings_.enabled) == ("+14165550101", 23, True)
    owner.post("/questionnaire/settings/", {"phone": "+14165550101", "send_hour": 0})
    with tenant_context(alpha.tenant):
        assert QuestionnaireSettings.objects.get().enabled is False


def test_the_page_shows_asks_and_owners_answer_them(alpha):
    send(alpha, local("2026-06-09T17:00"))
    ask = asks(alpha)[0]
    owner, member = client_for(alpha, user=alpha.owner), client_for(alpha, user=alpha.member)
    assert ask.question_text in member.get("/questionnaire/").content.decode()
    url = f"/questionnaire/asks/{ask.pk}/answer/"
    assert member.post(url, {"text": "Mine."}).status_code == 403
    assert owner.post(url, {"text": "   "}).status_code == 400
    assert owner.post(url, {"text": "Winnipeg, for the harvest crews."}).status_code == 302
    [ask] = asks(alpha)
    [answer] = ask.answers.all()
    assert (answer.via, answer.author_label, answer.text) == (
        "dashboard",
        alpha.owner.email,
        "Winnipeg, for the harvest crews.",
    )
    assert answer.memory_entry.title == ask.question_text and ask.answered_at
    assert "Winnipeg, for the harvest crews." in member.get("/questionnaire/").content.decode()


def test_owners_edit_and_reorder_the_bank(alpha):
    owner, member = client_for(alpha, user=alpha.owner), client_for(alpha, user=alpha.member)
    with tenant_context(alpha.tenant):
        first, second = Question.objects.order_by("position")[:2]
    edit = f"/questionnaire/questions/{first.pk}/edit/"
    assert member.get(edit).status_code == 403
    assert member.post(edit, {f"q{first.pk}-text": "x", f"q{first.pk}-group": "revenue"}).status_code == 403
    assert owner.get(edit).status_code == 200
    for bad_text in ["Bell\x07?", "x" * 301, ""]:
        bad = {f"q{first.pk}-text": bad_text, f"q{first.pk}-group": "revenue"}
        assert owner.post(edit, bad).status_code == 400
    at_limit = {f"q{first.pk}-text": "x" * 300, f"q{first.pk}-group": "revenue", f"q{first.pk}-active": "on"}
    assert owner.post(edit, at_limit).status_code == 302
    good = {
        f"q{first.pk}-text": "Which moving season starts first in your area?",
        f"q{first.pk}-group": "strategy",
    }
    assert owner.post(edit, good).status_code == 302  # "active" unticked: no longer asked
    move = f"/questionnaire/questions/{second.pk}/move/"
    assert member.post(move, {"direction": "up"}).status_code == 403
    assert owner.post(move, {"direction": "up"}).status_code == 302
    with tenant_context(alpha.tenant):
        order = list(Question.objects.order_by("position").values_list("pk", "text", "group", "active")[:2])
    assert order == [
        (second.pk, second.text, second.group, True),
        (first.pk, "Which moving season starts first in your area?", "strategy", False),
    ]


def test_a_person_in_both_tenants_only_touches_the_hosts_questionnaire(alpha, beta, both):
    send(alpha, local("2026-06-10T17:00"))
    [ask] = asks(alpha)
    assert both.post(f"/questionnaire/asks/{ask.pk}/answer/", {"text": "Sneaky."}).status_code == 404
    assert "No question has been sent yet." in both.get("/questionnaire/").content.decode()
    with tenant_context(alpha.tenant):
        question = Question.objects.order_by("position").first()
    # Question ids are per business: the same id on beta's host is beta's own question.
    data = {
        f"q{question.pk}-text": "Beta's own question?",
        f"q{question.pk}-group": "revenue",
        f"q{question.pk}-active": "on",
    }
    assert both.post(f"/questionnaire/questions/{question.pk}/edit/", data).status_code == 302
    with tenant_context(alpha.tenant):
        assert Question.objects.get(pk=question.pk).text == question.text
        assert not Answer.objects.exists()
    with tenant_context(beta.tenant):
        assert Question.objects.get(pk=question.pk).text == "Beta's own question?"
    assert both.post("/questionnaire/resume/").status_code == 302
    # Beta's owner can't reach alpha's page from alpha's host without being signed in there.
    assert client_for(alpha, user=beta.owner).get("/questionnaire/").status_code == 404


def test_owners_resume_from_the_page(alpha):
    with tenant_context(alpha.tenant):
        questionnaire_settings_get()
        QuestionnaireSettings.objects.update(paused_at=local("2026-06-08T17:00"))
    assert client_for(alpha, user=alpha.member).post("/questionnaire/resume/").status_code == 403
    assert client_for(alpha, user=alpha.owner).post("/questionnaire/resume/").status_code == 302
    with tenant_context(alpha.tenant):
        settings_ = QuestionnaireSettings.objects.get()
    assert settings_.paused_at is None and settings_.resumed_at


def test_the_page_costs_the_same_queries_with_one_ask_or_many(alpha):
    from django.db import connection

    owner = client_for(alpha, user=alpha.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/questionnaire/").status_code == 200
        return len(captured)

    send(alpha, local("2026-06-01T17:00"))
    one = count()
    for day in range(2, 7):
        send(alpha, local(f"2026-06-0{day}T17:00"))
    with tenant_context(alpha.tenant):
        for ask in QuestionAsk.objects.all():
            questionnaire_answer(ask=ask, text=f"Answer {ask.pk}", via="dashboard")
            questionnaire_answer(ask=ask, text=f"More {ask.pk}", via="dashboard")
    assert count() == one


# --- demo ------------------------------------------------------------------------------------------


def test_the_demo_answers_are_in_memory_and_load_once(alpha):
    with tenant_context(alpha.tenant):
        made = questionnaire_demo_load(owner=alpha.owner)
        assert made >= 14
        assert questionnaire_demo_load(owner=alpha.owner) == 0
        assert QuestionAsk.objects.count() == made
        assert Answer.objects.filter(memory_entry__source="questionnaire").count() == made
        assert not QuestionAsk.objects.filter(answered_at__isnull=True).exists()
    assert texts(alpha.owner.phone) == []  # nothing texted for the past


def test_an_older_unanswered_question_is_superseded_by_the_newer_one(alpha, public_client):
    send(alpha, local("2026-06-09T17:00"))
    send(alpha, local("2026-06-10T17:00"))
    with time_machine.travel(local("2026-06-10T17:10"), tick=False):
        sms_in(public_client, alpha.owner.phone, "Calgary.")
        sms_in(public_client, alpha.owner.phone, "And Regina.")
    older, newer = asks(alpha)
    assert list(older.answers.all()) == [] and older.answered_at is None
    assert sorted(a.text for a in newer.answers.all()) == ["And Regina.", "Calgary."]


# --- API -------------------------------------------------------------------------------------------


def test_the_api_lists_asks_with_answers_for_members_and_keys_of_this_tenant_only(alpha, beta, both):
    from tenants.services.apikeys import apikey_create

    send(alpha, local("2026-06-09T17:00"))
    send(alpha, local("2026-06-10T17:00"))
    first = asks(alpha)[0]
    with tenant_context(alpha.tenant):
        questionnaire_answer(ask=first, text="Sudbury to Thunder Bay.", via="dashboard")
    key = apikey_create(tenant=alpha.tenant, label="CRM", actor=None).key
    for client in (
        client_for(alpha, user=alpha.member),
        client_for(alpha, HTTP_AUTHORIZATION=f"Api-Key {key}"),
    ):
        results = client.get("/api/v1/questionnaire/").json()["results"]
        assert [r["local_date"] for r in results] == ["2026-06-10", "2026-06-09"]
        assert [a["text"] for a in results[1]["answers"]] == ["Sudbury to Thunder Bay."]
        assert results[1]["group"] in {"revenue", "operations", "marketing", "strategy"}
    assert both.get("/api/v1/questionnaire/").json()["results"] == []  # beta's own: none
    other_key = apikey_create(tenant=beta.tenant, label="CRM", actor=None).key
    assert (
        client_for(alpha, HTTP_AUTHORIZATION=f"Api-Key {other_key}").get("/api/v1/questionnaire/").status_code
        == 401
    )
    assert client_for(alpha).get("/api/v1/questionnaire/").status_code == 401


def test_a_simulated_signed_reply_from_the_command_lands_in_memory(alpha, django_capture_on_commit_callbacks):
    """Development: the outbox sends nothing, so `manage.py sms_reply` delivers the owner's answer the
    way Twilio would (signed with the local token), through the real webhook."""
    from django.core.management import CommandError, call_command

    configure(alpha, enabled=True, phone=alpha.owner.phone, send_hour=18)
    ask = send(alpha, local("2026-06-10T18:00"))
    # no TWILIO_AUTH_TOKEN here: the outbox backend signs and checks with the local token
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sms_reply", "--from", alpha.owner.phone, "Toronto to Vancouver, by far")
        with pytest.raises(CommandError, match="not a phone number"):
            call_command("sms_reply", "--from", "12", "hello")
    with tenant_context(alpha.tenant):
        answer = Answer.objects.get(ask=ask)
        assert answer.text == "Toronto to Vancouver, by far" and answer.via == "sms"
        entry = MemoryEntry.objects.get(source="questionnaire", text="Toronto to Vancouver, by far")
        assert entry.title == ask.question_text


def test_the_mobile_must_be_an_owners_so_no_business_can_collect_anothers_answers(alpha, beta):
    """Replies are routed by the number they come from: beta naming alpha's owner's mobile would text
    them beta's questions and take in the answers meant for alpha."""
    with pytest.raises(ValidationError) as refused:
        configure(beta, phone=alpha.owner.phone)
    assert refused.value.error_dict["phone"][0].code == "not_an_owner"
    owner = client_for(beta, user=beta.owner)
    response = owner.post("/questionnaire/settings/", {"phone": alpha.owner.phone, "send_hour": 9})
    assert response.status_code == 400 and "signs in with" in response.content.decode()
    with pytest.raises(ValidationError):
        configure(beta, phone=alpha.member.phone)  # a member's mobile isn't an owner's either
    with tenant_context(beta.tenant):
        assert QuestionnaireSettings.objects.get().phone == beta.owner.phone
    assert configure(beta, phone="(416) 555-0202").phone == beta.owner.phone  # its own owner's, any format
    owner_of_both(alpha, beta)
    assert configure(beta, phone=SHARED).phone == SHARED  # a person owning both may use it for both


def test_no_question_goes_to_a_mobile_that_is_no_longer_an_owners(alpha, beta):
    person = owner_of_both(alpha, beta)
    configure(alpha, phone=SHARED, enabled=True)
    Membership.objects.filter(user=person, tenant=alpha.tenant).delete()  # they left alpha
    assert send(alpha, local("2026-06-10T17:00")) is None
    assert texts(SHARED) == []
