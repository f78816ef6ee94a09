"""The daily questionnaire: one question a local day texted to the owner, their reply kept as an
answer and in the business memory.

Sending (`questionnaire_send_due`, run hourly for every tenant): once the tenant's local hour has
reached the send hour and today's local date has no ask, one ask is made and texted. The settings row
is locked for the whole decision and the ask's local date is unique, so a doubled, restarted or late
beat sends nothing twice; a 23- or 25-hour day (DST) still has one local date, so one ask. A number
that texted STOP gets no ask at all (no SMS would reach it; an ask nobody could answer would count
towards the pause). After a week of unanswered asks (PAUSE_AFTER in a row) sending pauses and the
owner is texted once how to resume.

Replies arrive on the public host knowing only the sender's number: `questionnaire_sms_reply`, an
inbound SMS handler, finds the newest open tenants.SmsPrompt of the number (one per tenant counts:
its newest), switches to that tenant's schema and stores the answer.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.plans import plan_allows
from chat.models import Answer, Question, QuestionAsk, QuestionnaireSettings
from chat.services.memory import memory_add
from inkwell.errors import refuse_unknown_fields
from tenants.messaging import sms_send
from tenants.models import Membership, SmsOptOut, SmsPrompt, Tenant
from tenants.selectors import tenant_url
from tenants.sms_inbound import HELP_KEYWORDS, InboundSms, inbound_handler
from tenants.validators import normalize_phone

logger = logging.getLogger(__name__)

# Asks in a row without an answer that pause sending (a week of daily questions).
PAUSE_AFTER = 7
# A reply to a question already answered, within this long of the answer, is added as another answer.
FOLLOW_UP_WINDOW = timedelta(hours=24)
ASK_REF = "question_ask:"
PAUSE_REF = "questionnaire_paused:"
RESUME_KEYWORDS = frozenset({"RESUME"})
SETTINGS_FIELDS = ("phone", "send_hour", "enabled")
QUESTION_FIELDS = ("text", "group", "active")


# --- settings -------------------------------------------------------------------------------------


def questionnaire_settings_get() -> QuestionnaireSettings:
    """This tenant's settings (made on first use, texting the first owner's mobile if they gave one)."""
    found = QuestionnaireSettings.objects.filter(pk=1).first()
    if found is not None:
        return found
    found, _ = QuestionnaireSettings.objects.get_or_create(
        pk=1, defaults={"phone": next(iter(_owner_phones()), "")}
    )
    return found


def _owner_phones() -> list[str]:
    """The mobiles of this tenant's owners, the first owner's first."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None:
        return []
    owners = Membership.objects.filter(tenant_id=tenant.pk, role=Membership.Role.OWNER)
    return list(owners.exclude(user__phone="").order_by("pk").values_list("user__phone", flat=True))


def questionnaire_settings_update(*, data: dict) -> QuestionnaireSettings:
    """Change the owner's mobile (any format a person types; stored E.164, "" for none), the local
    send hour (0–23) and whether questions are sent.

    The mobile must be the sign-in number of one of this business's owners: a reply to a daily question
    is routed by the number it comes from, so a business that could name any number could text another
    business's owner questions of its own and collect the answers meant for that owner's business."""
    refuse_unknown_fields(data, SETTINGS_FIELDS)
    settings_ = questionnaire_settings_get()
    if "phone" in data:
        phone = (data["phone"] or "").strip()
        try:
            settings_.phone = normalize_phone(phone) if phone else ""
        except ValidationError as exc:
            raise ValidationError({"phone": exc.error_list}) from None
        if settings_.phone and settings_.phone not in _owner_phones():
            raise ValidationError(
                {
                    "phone": ValidationError(
                        "Use the mobile number an owner of this business signs in with.", code="not_an_owner"
                    )
                }
            )
    if "send_hour" in data:
        hour = data["send_hour"]
        if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
            raise ValidationError({"send_hour": ValidationError("An hour from 0 to 23.", code="invalid")})
        settings_.send_hour = hour
    if "enabled" in data:
        settings_.enabled = bool(data["enabled"])
    settings_.save()
    return settings_


def questionnaire_resume(*, now: datetime | None = None) -> bool:
    """Send questions again after a pause; the week without answers starts over. Returns whether
    it was paused."""
    now = now or timezone.now()
    questionnaire_settings_get()
    with transaction.atomic():
        settings_ = QuestionnaireSettings.objects.select_for_update().get(pk=1)
        if settings_.paused_at is None:
            return False
        settings_.paused_at, settings_.resumed_at = None, now
        settings_.save(update_fields=["paused_at", "resumed_at"])
        SmsPrompt.objects.filter(
            tenant_id=connection.tenant.pk, ref__startswith=PAUSE_REF, answered_at__isnull=True
        ).update(answered_at=now)
    return True


# --- the question bank ----------------------------------------------------------------------------


def question_for_date(*, local_date: date) -> Question | None:
    """The question of `local_date`: the active questions in order, rotating by day of the year."""
    active = list(Question.objects.filter(active=True).order_by("position"))
    if not active:
        return None
    return active[(local_date.timetuple().tm_yday - 1) % len(active)]


def question_update(*, question: Question, data: dict) -> Question:
    """Change a question's text, group or whether it is asked. Asks already sent keep their text."""
    refuse_unknown_fields(data, QUESTION_FIELDS)
    if "text" in data:
        text = " ".join((data["text"] or "").split())
        if not text:
            raise ValidationError({"text": ValidationError("Write the question.", code="required")})
        question.text = text
    if "group" in data:
        question.group = data["group"]
    if "active" in data:
        question.active = bool(data["active"])
    try:
        question.full_clean(exclude=["position"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    question.save()
    return question


def question_move(*, question: Question, up: bool) -> bool:
    """Swap `question` with its neighbour above (or below) in the order. Returns whether it moved."""
    with transaction.atomic():
        list(Question.objects.select_for_update().order_by("position"))  # the order can't change meanwhile
        question.refresh_from_db()
        if up:
            neighbours = Question.objects.filter(position__lt=question.position).order_by("-position")
        else:
            neighbours = Question.objects.filter(position__gt=question.position).order_by("position")
        other = neighbours.first()
        if other is None:
            return False
        mine, theirs = question.position, other.position
        # Positions are unique: park one out of the way while the other takes its place.
        Question.objects.filter(pk=question.pk).update(position=32767)
        Question.objects.filter(pk=other.pk).update(position=mine)
        Question.objects.filter(pk=question.pk).update(position=theirs)
    question.position = theirs
    return True


# --- sending --------------------------------------------------------------------------------------


def _brand(tenant: Tenant) -> str:
    return tenant.config.brand_name or tenant.name


def _unanswered_in_a_row(settings_: QuestionnaireSettings) -> int:
    asks = QuestionAsk.objects.order_by("-local_date")
    if settings_.resumed_at:
        asks = asks.filter(sent_at__gt=settings_.resumed_at)
    count = 0
    for answered_at in asks.values_list("answered_at", flat=True)[:PAUSE_AFTER]:
        if answered_at is not None:
            break
        count += 1
    return count


def _pause(*, settings_: QuestionnaireSettings, tenant: Tenant, now: datetime) -> None:
    settings_.paused_at = now
    settings_.save(update_fields=["paused_at"])
    ref = f"{PAUSE_REF}{int(now.timestamp())}"
    SmsPrompt.objects.create(phone=settings_.phone, tenant=tenant, ref=ref, sent_at=now)
    body = (
        f"{_brand(tenant)}: the last {PAUSE_AFTER} daily questions went unanswered, so we've paused "
        f"them. Reply RESUME to get them again, or press Resume on "
        f"{tenant_url(tenant, '/questionnaire/')}"
    )
    sms_send(to=settings_.phone, body=body, tenant=tenant, ref=ref)


def questionnaire_send_due(*, tenant: Tenant, now: datetime | None = None) -> QuestionAsk | None:
    """Text today's question to the owner if it is due and not sent yet (see the module's docstring).
    Returns the new ask, or None when nothing was due. Run in `tenant`'s schema.

    The SMS goes out inside the transaction that made the ask: a concurrent run waits on the settings
    lock and then finds the ask. If the provider refuses, nothing is kept and the next hour tries
    again."""
    now = now or timezone.now()
    config = tenant.config
    if not config.feature_questionnaire or not plan_allows(tenant=tenant, feature="questionnaire"):
        return None
    local = timezone.localtime(now, ZoneInfo(config.timezone))
    questionnaire_settings_get()
    with transaction.atomic():
        settings_ = QuestionnaireSettings.objects.select_for_update().get(pk=1)
        if not settings_.enabled or settings_.paused_at or not settings_.phone:
            return None
        if local.hour < settings_.send_hour or QuestionAsk.objects.filter(local_date=local.date()).exists():
            return None
        if SmsOptOut.objects.filter(phone=settings_.phone).exists():
            return None
        if settings_.phone not in _owner_phones():  # no longer an owner's (they left, or changed it)
            return None
        if _unanswered_in_a_row(settings_) >= PAUSE_AFTER:
            _pause(settings_=settings_, tenant=tenant, now=now)
            return None
        question = question_for_date(local_date=local.date())
        if question is None:
            return None
        try:
            with transaction.atomic():  # a savepoint: the unique local date is the last word
                ask = QuestionAsk.objects.create(
                    question=question,
                    question_text=question.text,
                    local_date=local.date(),
                    phone=settings_.phone,
                    sent_at=now,
                )
        except IntegrityError:
            return None
        ref = f"{ASK_REF}{ask.pk}"
        SmsPrompt.objects.create(phone=ask.phone, tenant=tenant, ref=ref, sent_at=now)
        body = f"{_brand(tenant)} daily question: {ask.question_text} (Reply with your answer.)"
        sms_send(to=ask.phone, body=body, tenant=tenant, ref=ref)
    return ask


# --- answers --------------------------------------------------------------------------------------


def questionnaire_answer(
    *, ask: QuestionAsk, text: str, via: str, actor_label: str = "", now: datetime | None = None
) -> tuple[Answer, bool]:
    """Keep `text` as an answer to `ask` (another one if it has answers already) and in the business
    memory, under the question as its title and the question's group as its tag. Closes the ask and
    its SMS prompt. Returns (answer, whether it is the ask's first)."""
    now = now or timezone.now()
    text = (text or "").strip()
    with transaction.atomic():
        ask = QuestionAsk.objects.select_for_update(of=("self",)).select_related("question").get(pk=ask.pk)
        group = ask.question.group if ask.question else ""
        entry, _ = memory_add(
            text=text,
            source="questionnaire",
            tags=[group] if group else [],
            title=ask.question_text,
            actor_label=actor_label,
        )
        answer = Answer.objects.create(
            ask=ask,
            question_text=ask.question_text,
            text=text,
            via=via,
            author_label=actor_label[:200],
            memory_entry=entry,
        )
        first = ask.answered_at is None
        if first:
            ask.answered_at = now
            ask.save(update_fields=["answered_at"])
        SmsPrompt.objects.filter(
            tenant_id=connection.tenant.pk, ref=f"{ASK_REF}{ask.pk}", answered_at__isnull=True
        ).update(answered_at=now)
    return answer, first


# --- inbound SMS ----------------------------------------------------------------------------------


def _live_prompts(phone: str) -> list[SmsPrompt]:
    """The number's questionnaire prompts, newest first, one per tenant (its newest: a reply answers
    the latest question a business asked, never an older one it superseded)."""
    prompts = (
        SmsPrompt.objects.filter(phone=phone, tenant__status=Tenant.Status.ACTIVE)
        .filter(Q(ref__startswith=ASK_REF) | Q(ref__startswith=PAUSE_REF))
        .select_related("tenant")
        .order_by("-sent_at", "-pk")[:100]
    )
    live: dict[int, SmsPrompt] = {}
    for prompt in prompts:
        live.setdefault(prompt.tenant_id, prompt)
    return list(live.values())


def _resume_reply(message: InboundSms, prompts: list[SmsPrompt]) -> str | None:
    if not prompts:
        return None
    resumed = []  # every business this number gets questions from: one RESUME restarts them all
    for prompt in prompts:
        with tenant_context(prompt.tenant):
            if questionnaire_resume():
                resumed.append(_brand(prompt.tenant))
    if resumed:
        return f"Daily questions from {' and '.join(resumed)} will start again. Thanks!"
    return "Your daily questions aren't paused. Reply to a question to answer it."


@inbound_handler(order=5)
def questionnaire_help(message: InboundSms) -> str | None:
    """HELP from an owner who gets daily questions: say what these texts are and what to reply (the
    built-in HELP, after this, speaks to customers)."""
    if message.keyword not in HELP_KEYWORDS:
        return None
    prompts = _live_prompts(message.sender)
    if not prompts:
        return None
    return (
        f"Inkwell: daily questions for {_brand(prompts[0].tenant)}. Reply to a question with your answer "
        "to save it to your business memory; RESUME restarts paused questions. STOP stops all texts "
        "from Inkwell, START turns them back on."
    )


@inbound_handler(order=50)
def questionnaire_sms_reply(message: InboundSms) -> str | None:
    """Claim a reply to a daily question (or RESUME after a pause); None when the number has no
    questionnaire prompt to reply to."""
    prompts = _live_prompts(message.sender)
    if message.keyword in RESUME_KEYWORDS:
        return _resume_reply(message, prompts)
    now = timezone.now()
    prompt = next((p for p in prompts if p.answered_at is None), None)
    if prompt is None:  # a second thought on a question answered a moment ago
        prompt = next(
            (
                p
                for p in prompts
                if p.ref.startswith(ASK_REF) and p.answered_at and p.answered_at >= now - FOLLOW_UP_WINDOW
            ),
            None,
        )
    if prompt is None:
        return None
    with tenant_context(prompt.tenant):
        if prompt.ref.startswith(PAUSE_REF):
            return "Daily questions are paused. Reply RESUME to get them again."
        ask = QuestionAsk.objects.filter(pk=int(prompt.ref.removeprefix(ASK_REF))).first()
        if ask is None:
            return None
        try:
            _answer, first = questionnaire_answer(
                ask=ask, text=message.body, via=Answer.Via.SMS, actor_label=f"SMS from {message.sender}"
            )
        except ValidationError:
            return "That answer looks empty: reply with a few words, please."
    if first:
        return f"Thanks! Saved to {_brand(prompt.tenant)}'s business memory."
    return "Thanks! Added as another answer to that question."
