"""Demo chat conversations for Scilla Transport (vehicle shipping and moving in Canada): visitors
asking about transit times, insurance, container or RoRo; two left a lead (made through
conversation_capture_lead, so they are real leads with source "chat"), one was handed over and waits
for the owner, one the owner answered. Spread over the last weeks; loaded once (each conversation has
a fixed visitor id, so a second load adds nothing).

Answers from the memory cite the entry a search finds for their subject (the demo FAQ's, when it was
loaded first), or remember the fact they state.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.models import Conversation, LlmUsage, Message
from chat.selectors import memory_search
from chat.services.conversations import conversation_capture_lead, conversation_handover
from chat.services.inbox import owner_reply
from chat.services.memory import memory_add
from tenants.models import User

NAMESPACE = uuid.UUID("6f1d2a4e-6c1b-4f43-9d53-5c2b8f0e7a10")
R = Message.Role
O = Message.Origin  # noqa: E741

# One conversation: key (its visitor id), days ago it started, the page, and its steps. A step is
# (role, origin, text) and optionally {"cite": (search, fact)} for a memory answer, {"lead": fields},
# {"handover": reason}, or {"owner": True} for the owner's reply. Steps are a few minutes apart.
DEMO: list[tuple[str, float, str, list[tuple]]] = [
    ("transit-vancouver", 24, "/vehicle-shipping/", [
        (R.VISITOR, O.VISITOR, "How long does it take to ship a car from Toronto to Vancouver?"),
        (R.ASSISTANT, O.RETRIEVAL, "By truck, Toronto to Vancouver usually takes 7 to 10 days from pickup; "
         "by rail it is closer to 10 to 14 days.",
         {"cite": ("Vancouver transit days", "Toronto to Vancouver: 7–10 days by truck, 10–14 days by rail, "
                   "counted from pickup.")}),
        (R.VISITOR, O.VISITOR, "Great, thanks!"),
    ]),
    ("insurance", 19, "/", [
        (R.VISITOR, O.VISITOR, "Is my car insured while you ship it? It's a 2019 Audi Q5."),
        (R.ASSISTANT, O.RETRIEVAL, "Yes: every vehicle is covered by our cargo insurance from pickup to "
         "delivery, up to its market value, with no deductible for the customer.",
         {"cite": ("insurance cargo coverage", "Every vehicle is covered by cargo insurance from pickup "
                   "to delivery, up to its market value; the customer pays no deductible.")}),
        (R.VISITOR, O.VISITOR, "Do I need to tell my own insurer?"),
        (R.ASSISTANT, O.LLM, "It's a good idea to let them know the dates, but you don't need extra "
         "coverage: ours applies the whole time the car is with us. Please leave personal items out of it."),
    ]),
    ("container-italy", 12, "/europe-shipping/", [
        (R.VISITOR, O.VISITOR, "Container or RoRo to Italy — which is better for a vintage Alfa?"),
        (R.ASSISTANT, O.LLM, "For a classic, a container is usually the better choice: the car is "
         "strapped inside a sealed box and no one drives it on board. RoRo is cheaper and fine for daily "
         "drivers. Would you like a quote for either?"),
        (R.VISITOR, O.VISITOR, "Yes please, a container quote from Woodbridge to Naples."),
        (R.ASSISTANT, O.FALLBACK, "Happy to. What number or email should we send it to?"),
        (R.VISITOR, O.VISITOR, "Luca Bianchi, 416 555 0771"),
        (R.ASSISTANT, O.FLOW, "Thank you, Luca! Dana will send your container quote shortly.",
         {"lead": {"name": "Luca Bianchi", "phone": "+14165550771",
                   "details": "Container to Naples for a vintage Alfa Romeo, from Woodbridge."}}),
    ]),
    ("move-halifax", 7, "/moving/", [
        (R.VISITOR, O.VISITOR, "Do you move households from Montreal to Halifax? Two bedrooms, in June."),
        (R.ASSISTANT, O.LLM, "We do: a two-bedroom move from Montreal to Halifax takes 3 to 5 days on "
         "the road, with packing available. I can have a coordinator send you a quote."),
        (R.VISITOR, O.VISITOR, "Sure, sophie.tremblay@example.com"),
        (R.ASSISTANT, O.FLOW, "Thanks, Sophie! You'll have a quote by email within one business day.",
         {"lead": {"name": "Sophie Tremblay", "email": "sophie.tremblay@example.com",
                   "details": "Two-bedroom household move, Montreal to Halifax, June."}}),
    ]),
    ("motorcycle-newfoundland", 4, "/vehicle-shipping/", [
        (R.VISITOR, O.VISITOR, "Can you ship a motorcycle to St. John's, Newfoundland?"),
        (R.ASSISTANT, O.FLOW, "I'm not sure we cover Newfoundland for motorcycles: I've asked Dana to "
         "reply here.", {"handover": "Motorcycle to Newfoundland: not in the memory"}),
        (R.OWNER, O.OWNER, "Hi! Yes, we ship motorcycles to St. John's every two weeks, crated, about "
         "6 days from Toronto. Leave a number and I'll call you with a price.", {"owner": True}),
    ]),
    ("non-running-winnipeg", 0.2, "/vehicle-shipping/", [
        (R.VISITOR, O.VISITOR, "I have a project car that doesn't run. Can you take it from Winnipeg to "
         "Calgary, and is there a surcharge?"),
        (R.ASSISTANT, O.FLOW, "Non-running vehicles need a winch truck, and I don't have their price: "
         "I've asked the owner to answer you here.",
         {"handover": "Non-running vehicle, Winnipeg to Calgary: surcharge unknown"}),
    ]),
]  # fmt: skip


def _cite(search: str, fact: str, actor_label: str) -> list[int]:
    found = memory_search(query=search, limit=1)
    if found:
        return [found[0][0].pk]
    entry, _created = memory_add(text=fact, source="faq", actor_label=actor_label)
    return [entry.pk]


def _usage_cost(input_tokens: int, output_tokens: int) -> Decimal:
    per_in, per_out = settings.LLM_PRICE_PER_MTOK
    return Decimal(str(round((input_tokens * per_in + output_tokens * per_out) / 1_000_000, 6)))


@transaction.atomic
def _load_one(key: str, days_ago: float, page: str, steps: list[tuple], owner: User) -> None:
    start = timezone.now() - timedelta(days=days_ago)
    conversation = Conversation.objects.create(
        visitor=uuid.uuid5(NAMESPACE, key), last_message_at=start, page=page
    )
    for n, (role, origin, text, *extra) in enumerate(steps):
        options = extra[0] if extra else {}
        when = start + timedelta(minutes=2 * n)
        if options.get("owner"):
            message = owner_reply(conversation=conversation, text=text, user=owner)
        else:
            sources = _cite(*options["cite"], actor_label="demo") if "cite" in options else []
            message = Message.objects.create(
                conversation=conversation, role=role, origin=origin, text=text, sources=sources
            )
        Message.objects.filter(pk=message.pk).update(created=when)
        if origin == O.LLM:
            tokens = (1800 + 40 * len(text), len(text) // 3)
            usage = LlmUsage.objects.create(
                conversation=conversation,
                backend="anthropic",
                model="claude-sonnet-4-5",
                input_tokens=tokens[0],
                output_tokens=tokens[1],
                cost_usd=_usage_cost(*tokens),
            )
            LlmUsage.objects.filter(pk=usage.pk).update(created=when)
        if "lead" in options:
            lead = conversation_capture_lead(conversation=conversation, **options["lead"])
            type(lead).objects.filter(pk=lead.pk).update(created=when)
        if "handover" in options:
            conversation_handover(conversation=conversation, reason=options["handover"])
    last = start + timedelta(minutes=2 * (len(steps) - 1))
    # The older conversations have been read; the last two days' are new to the owner.
    read = last if days_ago > 2 else None
    Conversation.objects.filter(pk=conversation.pk).update(
        started=start, last_message_at=last, owner_read_at=read
    )


def chat_demo_load(*, owner: User) -> int:
    """Add the demo conversations missing from the current (demo) tenant. Returns how many were added."""
    existing = set(Conversation.objects.values_list("visitor", flat=True))
    added = 0
    for key, days_ago, page, steps in DEMO:
        if uuid.uuid5(NAMESPACE, key) not in existing:
            _load_one(key, days_ago, page, steps, owner)
            added += 1
    return added
