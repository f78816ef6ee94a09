"""The assistant's model answer for one visitor question (LLM_BACKEND anthropic | openai).

The backend gets the system prompt (chat/llm/prompt.py), the conversation's last messages as turns and
two tools bound to the conversation: capture_lead (a lead for the visitor, linked to the conversation)
and handover (flag the conversation for the owner). Every call that reached the provider is recorded
as an LlmUsage row with its tokens and cost, failed ones too (ok=False, with the error).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from chat.llm.base import LlmBackend, LlmResult, LlmUnavailable, Tool, Turn
from chat.llm.prompt import build_system_prompt
from chat.models import Conversation, LlmUsage, MemoryEntry, Message
from chat.services.conversations import conversation_capture_lead, conversation_handover
from inkwell.errors import RateLimited

# Messages of the conversation the model sees (the newest), and characters of each.
HISTORY_MESSAGES = 12
HISTORY_CHARS = 1500
FAQ_ENTRIES = 40  # newest first; the prompt keeps as many as fit its FAQ budget

CAPTURE_LEAD_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The visitor's name, if they gave it."},
        "phone": {"type": "string", "description": "The visitor's phone number, as they wrote it."},
        "email": {"type": "string", "description": "The visitor's email address."},
        "details": {"type": "string", "description": "What they need, in a sentence or two (for the team)."},
    },
    "required": ["details"],
}
HANDOVER_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "description": "Why a person should answer, in a few words."}
    },
    "required": ["reason"],
}


def llm_backend() -> LlmBackend:
    """The backend LLM_BACKEND names, configured from settings. Raises LlmUnavailable for "none"."""
    name = settings.LLM_BACKEND
    if name not in ("anthropic", "openai"):
        raise LlmUnavailable("No model provider is configured.")
    api_key = settings.ANTHROPIC_API_KEY if name == "anthropic" else settings.OPENAI_API_KEY
    return _backend(name, api_key, settings.LLM_MODEL, settings.LLM_TIMEOUT)


@lru_cache(maxsize=4)
def _backend(name: str, api_key: str, model: str, timeout: float) -> LlmBackend:
    # One per process and configuration: the SDK client keeps its connections open between answers,
    # sparing each visitor a TLS handshake. Backends keep no state between replies.
    if name == "anthropic":
        from chat.llm.anthropic_backend import AnthropicBackend

        return AnthropicBackend(api_key=api_key, model=model, timeout=timeout)
    from chat.llm.openai_backend import OpenAIBackend

    return OpenAIBackend(api_key=api_key, model=model, timeout=timeout)


def llm_cost(*, input_tokens: int, output_tokens: int) -> Decimal:
    """US dollars for this many tokens at LLM_PRICE_PER_MTOK (input, output $ per million)."""
    price_in, price_out = settings.LLM_PRICE_PER_MTOK
    cost = (Decimal(str(price_in)) * input_tokens + Decimal(str(price_out)) * output_tokens) / 1_000_000
    return cost.quantize(Decimal("0.000001"))


def conversation_turns(*, conversation: Conversation, question: str) -> list[Turn]:
    """The conversation's last messages as alternating turns that start with the visitor and end with
    `question`: visitor → user; assistant and owner → assistant (the owner's marked as theirs)."""
    messages = list(conversation.messages.order_by("-created", "-pk")[:HISTORY_MESSAGES])[::-1]
    turns: list[Turn] = []
    for message in messages:
        role = "user" if message.role == Message.Role.VISITOR else "assistant"
        text = message.text.strip()[:HISTORY_CHARS]
        if message.role == Message.Role.OWNER:
            text = f"(The business owner replied:) {text}"
        if not text or (not turns and role == "assistant"):
            continue
        if turns and turns[-1].role == role:
            turns[-1] = Turn(role=role, text=f"{turns[-1].text}\n\n{text}")
        else:
            turns.append(Turn(role=role, text=text))
    question = question.strip()[:HISTORY_CHARS]
    if not turns or turns[-1].role != "user":
        turns.append(Turn(role="user", text=question))
    elif not turns[-1].text.endswith(question):
        turns[-1] = Turn(role="user", text=f"{turns[-1].text}\n\n{question}")
    return turns


def conversation_tools(*, conversation: Conversation, ip: str | None = None) -> list[Tool]:
    """capture_lead and handover, acting on `conversation` (whose visitor writes from `ip`: leads are
    limited per address); what they return is what the model reads."""

    def capture_lead(arguments: dict) -> str:
        try:
            lead = conversation_capture_lead(
                conversation=conversation,
                name=str(arguments.get("name") or ""),
                phone=str(arguments.get("phone") or ""),
                email=str(arguments.get("email") or ""),
                details=str(arguments.get("details") or ""),
                ip=ip,
            )
        except RateLimited as exc:
            return f"Not saved: {exc.message} Tell the visitor so; don't try again."
        except ValidationError as exc:
            problems = " ".join(exc.messages)
            return f"Not saved: {problems} Ask the visitor for a valid phone number or email address."
        return f"Saved as lead {lead.pk}. The team will contact the visitor; tell them so."

    def handover(arguments: dict) -> str:
        flagged = conversation_handover(conversation=conversation, reason=str(arguments.get("reason") or ""))
        if flagged:
            return "Done: the owner has been told and will reply in this chat."
        return "The owner was already told about this conversation and will reply in this chat."

    return [
        Tool(
            name="capture_lead",
            description="Save the visitor's contact details and request for the team to follow up "
            "(a quote, a booking, a call back). Needs a phone number or an email address.",
            input_schema=CAPTURE_LEAD_SCHEMA,
            run=capture_lead,
        ),
        Tool(
            name="handover",
            description="Ask the business owner to answer this conversation themselves.",
            input_schema=HANDOVER_SCHEMA,
            run=handover,
        ),
    ]


def _record_usage(*, conversation, backend: str, model: str, input_tokens: int, output_tokens: int, error=""):
    return LlmUsage.objects.create(
        conversation=conversation,
        backend=backend,
        model=model[:100],
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=llm_cost(input_tokens=input_tokens, output_tokens=output_tokens),
        ok=not error,
        error=error[:300],
    )


def llm_answer(
    *, conversation, question: str, retrieved: list, on_text=None, ip: str | None = None
) -> LlmResult:
    """The model's reply to `question` (the visitor's message, already saved in `conversation`),
    with the retrieved memory entries ([entry] or [(entry, rank)]) in its prompt and the capture_lead /
    handover tools. Records token use and cost. Raises LlmUnavailable when LLM_BACKEND is "none" or
    the provider fails (after recording what the failed call used)."""
    backend = llm_backend()
    faq = list(
        MemoryEntry.objects.filter(source=MemoryEntry.Source.FAQ).order_by("-updated", "-pk")[:FAQ_ENTRIES]
    )
    system = build_system_prompt(config=connection.tenant.config, faq=faq, retrieved=retrieved)
    turns = conversation_turns(conversation=conversation, question=question)
    try:
        result = backend.reply(
            system=system,
            turns=turns,
            tools=conversation_tools(conversation=conversation, ip=ip),
            on_text=on_text,
        )
    except LlmUnavailable as exc:
        _record_usage(
            conversation=conversation, backend=backend.name, model=exc.model or settings.LLM_MODEL,
            input_tokens=exc.input_tokens, output_tokens=exc.output_tokens, error=str(exc) or "unavailable",
        )  # fmt: skip
        raise
    _record_usage(
        conversation=conversation, backend=backend.name, model=result.model,
        input_tokens=result.input_tokens, output_tokens=result.output_tokens,
    )  # fmt: skip
    return result
