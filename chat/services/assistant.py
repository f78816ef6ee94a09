"""The assistant's answer to a visitor's message.

Order of business for one message (already saved by the caller):

1. The conversation waits for the visitor's number (the assistant asked for it): a phone number or an
   email makes a lead (source chat) and hands the conversation over to the owner; a number that
   doesn't parse is asked for again; "no" is fine (the question is still handed over); anything else
   hands the earlier question over and is answered as a new question.
2. Retrieval from the business memory.
3. With a model configured (LLM_BACKEND), the model's answer, given what retrieval found.
4. Without one, or when it fails (LlmUnavailable): the best FAQ or memory match when it is good enough,
   quoted as such; otherwise an honest "I don't know" asking for a number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from chat.llm import service as llm_service
from chat.llm.base import LlmUnavailable
from chat.models import Conversation, MemoryEntry, Message
from chat.selectors import memory_best_match, memory_search
from chat.services.conversations import conversation_capture_lead, conversation_handover
from chat.services.widget import conversation_message_add
from inkwell.errors import RateLimited

logger = logging.getLogger(__name__)

A = Message.Origin
SOURCE = MemoryEntry.Source

DONT_KNOW = "I don't know that — can I take your number so the owner can call you?"
ASK_AGAIN = (
    "That number doesn't look right. Could you send it again with the area code, like 416 555 0123? "
    "An email address works too."
)

# What the model may draw on (agent checkpoints and chat notes are for the team, not visitors).
RETRIEVAL_SOURCES = (SOURCE.FAQ, SOURCE.NOTE, SOURCE.QUESTIONNAIRE)
# Of the questionnaire's answers, only those to operations and marketing questions (how bookings work,
# what customers say). Revenue and strategy answers are the owner's private business — who pays late,
# a lost quote, a competitor, what worries them — and a visitor can ask the model anything: they never
# reach it, nor does an answer without its group's tag.
VISITOR_SAFE_GROUPS = ("operations", "marketing")
# What may be quoted to a visitor word for word. Questionnaire answers are the owner's words about
# revenue and strategy: the model may use them where they help, but they are never pasted verbatim.
QUOTE_SOURCES = (SOURCE.FAQ, SOURCE.NOTE)
RETRIEVE_LIMIT = 5

EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s().\-]{5,}\d")
SAYS_NO = re.compile(
    r"^\W*(no|nope|nah|no thanks?|no thank you|not now|not really|rather not|i'?d rather not|"
    r"i don'?t want to|don'?t|never ?mind)\b",
    re.IGNORECASE,
)


@dataclass
class Retrieved:
    """What retrieval found for a question: the entries the model may use, and the one good enough to
    quote (or None)."""

    entries: list[MemoryEntry] = field(default_factory=list)
    best: MemoryEntry | None = None


def retrieve(*, question: str) -> Retrieved:
    """The memory entries for `question` (what the model may use) and the one good enough to quote:
    the memory's own judgement (chat.selectors.memory_best_match), over the quotable sources only."""
    if not question.strip():
        return Retrieved()
    # More than kept: private questionnaire answers are left out after the search.
    found = memory_search(query=question, limit=RETRIEVE_LIMIT * 3, sources=RETRIEVAL_SOURCES)
    entries = [entry for entry, _score in found if visitor_may_see(entry)][:RETRIEVE_LIMIT]
    match = memory_best_match(question=question, sources=QUOTE_SOURCES)
    return Retrieved(entries=entries, best=match[0] if match else None)


def visitor_may_see(entry: MemoryEntry) -> bool:
    """Whether the visitor-facing model may be given `entry` (see VISITOR_SAFE_GROUPS)."""
    if entry.source != SOURCE.QUESTIONNAIRE:
        return True
    return any(tag in VISITOR_SAFE_GROUPS for tag in entry.tags or ())


def quote(entry: MemoryEntry) -> str:
    """A memory entry as the assistant quotes it: said to come from the FAQ (or the business's notes)."""
    where = "our FAQ" if entry.source == SOURCE.FAQ else "our notes"
    if entry.title:
        return f"From {where} — {entry.title}: {entry.text}"
    return f"From {where}: {entry.text}"


# --- the visitor's contact, when the assistant asked for it -------------------------------------


@dataclass(frozen=True)
class Contact:
    phone: str = ""  # E.164
    email: str = ""
    bad_number: bool = False


def contact_parse(text: str) -> Contact | None:
    """A phone number (Canadian when no country code is given) or an email address in `text`; a
    `bad_number` Contact when something looks like a number but isn't a valid one; None otherwise."""
    email = EMAIL.search(text)
    for match in phonenumbers.PhoneNumberMatcher(text, "CA"):
        number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        return Contact(phone=number, email=email.group(0).lower() if email else "")
    if email:
        return Contact(email=email.group(0).lower())
    for candidate in PHONE_LIKE.findall(text):
        if sum(ch.isdigit() for ch in candidate) >= 7:
            return Contact(bad_number=True)
    return None


def _unanswered(conversation: Conversation) -> list[str]:
    """The visitor's questions the assistant could not answer: each one just before a fallback."""
    messages = list(conversation.messages.order_by("created", "pk").values_list("role", "origin", "text"))
    return [
        messages[i - 1][2]
        for i, (_role, origin, _text) in enumerate(messages)
        if origin == A.FALLBACK and i > 0 and messages[i - 1][0] == Message.Role.VISITOR
    ]


def _reason(questions: list[str]) -> str:
    return ("Couldn't answer: " + " / ".join(questions))[:300] if questions else "Asked for the owner in chat"


def _brand() -> str:
    tenant = getattr(connection, "tenant", None)
    config = getattr(tenant, "config", None)
    return getattr(config, "brand_name", "") or "the team"


def _display(number: str) -> str:
    from tenants.templatetags.phones import phone

    return phone(number)


def _contact_reply(*, conversation: Conversation, text: str, ip: str | None = None) -> Message | None:
    """The answer while the conversation waits for a number, or None when `text` is a new question
    (the earlier one is then handed over, and the new one answered as usual)."""
    contact = contact_parse(text)
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.awaiting != Conversation.Awaiting.CONTACT:
            return None
        questions = _unanswered(conversation)
        if contact is not None and contact.bad_number:
            return conversation_message_add(
                conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FLOW, text=ASK_AGAIN
            )
        if contact is not None:
            details = "Asked in chat: " + " / ".join(questions) if questions else "From the chat."
            try:
                with transaction.atomic():
                    conversation_capture_lead(
                        conversation=conversation, phone=contact.phone, email=contact.email, details=details,
                        ip=ip,
                    )  # fmt: skip
            except RateLimited as exc:
                return conversation_message_add(
                    conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FLOW, text=exc.message,
                    awaiting="",
                )  # fmt: skip
            except ValidationError:
                return conversation_message_add(
                    conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FLOW, text=ASK_AGAIN
                )
            conversation_handover(conversation=conversation, reason=_reason(questions))
            where = f"call you at {_display(contact.phone)}" if contact.phone else f"write to {contact.email}"
            thanks = f"Thank you! I've passed your question on: {_brand()} will {where} soon."
            return conversation_message_add(
                conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FLOW, text=thanks,
                awaiting="",
            )  # fmt: skip
        conversation_handover(conversation=conversation, reason=_reason(questions))
        if SAYS_NO.match(text):
            line = (
                "No problem. I've passed your question on to the team: their answer will appear "
                "here in this chat."
            )
            return conversation_message_add(
                conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FLOW, text=line, awaiting=""
            )
        Conversation.objects.filter(pk=conversation.pk).update(awaiting="")
        conversation.awaiting = ""
        return None


# --- the answer -------------------------------------------------------------------------------------


def _say(on_text: Callable[[str], None] | None, text: str) -> None:
    if on_text is not None:
        on_text(text)


def _volunteers_contact(*, conversation: Conversation, text: str) -> bool:
    if settings.LLM_BACKEND != "none" or conversation.lead_id is not None:
        return False
    contact = contact_parse(text)
    return contact is not None and not contact.bad_number


def assistant_respond(
    *,
    conversation: Conversation,
    question: str,
    on_text: Callable[[str], None] | None = None,
    ip: str | None = None,
) -> Message:
    """Answer the visitor's `question` (their message, already saved in `conversation`) and return the
    saved answer. `on_text` receives the answer's text as it is produced (in pieces when the model
    streams). `ip` is the visitor's address (leads are limited per address). The visitor's message is
    never touched, whatever fails here."""
    if _volunteers_contact(conversation=conversation, text=question):
        # Not asked for, but given: a visitor who types their number wants a call back. (A model, when
        # there is one, takes it itself with its capture_lead tool, along with whatever else was said.)
        Conversation.objects.filter(pk=conversation.pk).update(awaiting=Conversation.Awaiting.CONTACT)
        conversation.awaiting = Conversation.Awaiting.CONTACT
    if conversation.awaiting == Conversation.Awaiting.CONTACT:
        reply = _contact_reply(conversation=conversation, text=question, ip=ip)
        if reply is not None:
            _say(on_text, reply.text)
            return reply
    found = retrieve(question=question)
    sources = [entry.pk for entry in found.entries]
    if settings.LLM_BACKEND != "none":
        try:
            result = llm_service.llm_answer(
                conversation=conversation, question=question, retrieved=found.entries, on_text=on_text,
                ip=ip,
            )  # fmt: skip
        except LlmUnavailable as exc:
            logger.info("Model unavailable for conversation %s: %s", conversation.pk, exc)
        else:
            if result.text.strip():
                return conversation_message_add(
                    conversation=conversation, role=Message.Role.ASSISTANT, origin=A.LLM,
                    text=result.text.strip(), sources=sources,
                )  # fmt: skip
    if found.best is not None:
        text = quote(found.best)
        _say(on_text, text)
        return conversation_message_add(
            conversation=conversation, role=Message.Role.ASSISTANT, origin=A.RETRIEVAL, text=text,
            sources=[found.best.pk],
        )  # fmt: skip
    _say(on_text, DONT_KNOW)
    return conversation_message_add(
        conversation=conversation, role=Message.Role.ASSISTANT, origin=A.FALLBACK, text=DONT_KNOW,
        awaiting=Conversation.Awaiting.CONTACT,
    )  # fmt: skip
