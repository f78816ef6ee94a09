"""Retrieval quality over the demo FAQ: visitors' questions, typed the way visitors type them, each
labelled with the FAQ entry that answers it. The full-text path alone and the hybrid path (with the
hash embedder) must each put the right entry in the top 3 for at least 90% of them; memory_best_match
quotes the right entry for most of them, a wrong one for at most two, and nothing for the questions
the FAQ doesn't answer."""

import pytest
from django_tenants.utils import tenant_context

from chat.faq_demo import FAQ, faq_demo_load
from chat.models import MemoryEntry
from chat.selectors import CONFIDENT, memory_best_match, memory_search
from chat.services.memory import memory_embed

TITLES = [title for title, _text, _tags in FAQ]


def faq(start: str) -> str:
    [title] = [t for t in TITLES if t.startswith(start)]
    return title


LABELLED = [
    ("how long does it take to ship my car to vancouver?", faq("How long does shipping a car from Toronto")),
    ("transit time toronto to BC", faq("How long does shipping a car from Toronto")),
    ("I'm moving from Vancouver to Toronto, how many days for my car to get there", faq("How long does shipping a car from Toronto")),
    ("montreal to calgary how many days", faq("How long does it take to move a vehicle between Montreal")),
    ("shipping a car to edmonton from quebec", faq("How long does it take to move a vehicle between Montreal")),
    ("do you go to nova scotia?", faq("Do you ship cars to and from Halifax")),
    ("can I get my car to Newfoundland", faq("Do you ship cars to and from Halifax")),
    ("can you send my car to germany", faq("Can you ship my vehicle overseas")),
    ("international car shipping to england?", faq("Can you ship my vehicle overseas")),
    ("whats the difference between roro and a container", faq("Should I choose container or RoRo")),
    ("cheapest way to ship a car across the ocean", faq("Should I choose container or RoRo")),
    ("is my car insured while you transport it", faq("What insurance covers my car")),
    ("who pays if the truck driver damages my car", faq("What insurance covers my car")),
    ("can I buy extra insurance for a classic car", faq("Do you offer full coverage")),
    ("is there a deductible on the full coverage", faq("Do you offer full coverage")),
    ("do I have to pay everything upfront?", faq("How do I pay for a shipment")),
    ("do you take e-transfer or credit card", faq("How do I pay for a shipment")),
    ("are there any hidden fees in the quote", faq("What is included in the price")),
    ("does the price include fuel and tolls", faq("What is included in the price")),
    ("will the driver come to my house to get the car", faq("Do you pick up the car at my home")),
    ("I live in a condo downtown, where do you pick up?", faq("Do you pick up the car at my home")),
    ("where is my car right now", faq("How can I track my vehicle")),
    ("can I follow the truck online", faq("How can I track my vehicle")),
    ("can I put some boxes in the trunk", faq("Can I leave personal items")),
    ("is it ok to pack my stuff inside the car", faq("Can I leave personal items")),
    ("what do I need to do to get my car ready", faq("How should I prepare my vehicle")),
    ("how much gas should be in the tank", faq("How should I prepare my vehicle")),
    ("my car won't start, can you still take it", faq("Can you ship a car that doesn't run")),
    ("do you transport broken cars after an accident", faq("Can you ship a car that doesn't run")),
    ("snowbird car shipping to florida", faq("Do you ship cars to Florida")),
    ("we spend winters in arizona, can you bring our car south?", faq("Do you ship cars to Florida")),
    ("can you move my furniture too", faq("Do you also move household goods")),
    ("looking for movers for a house move to alberta", faq("Do you also move household goods")),
    ("what paperwork do I need for customs", faq("What documents do I need")),
    ("importing a car from the US into canada", faq("What documents do I need")),
    ("how early should I reserve a spot", faq("How far in advance should I book")),
    ("I need a rush shipment next week", faq("How far in advance should I book")),
    ("do you have covered trailers for my corvette", faq("Do you offer enclosed transport")),
    ("can you ship a motorcycle", faq("Can you ship motorcycles, boats or trucks")),
    ("what happens when the car arrives", faq("What happens at delivery")),
    ("there's a dent on my car after delivery, what now", faq("What if my car is damaged in transit")),
    ("how do I file a claim", faq("What if my car is damaged in transit")),
    ("can you keep my car for a couple of weeks until my house is ready", faq("Can I store my car with you")),
    ("how long have you been in business", faq("How long has Scilla Transport been")),
]  # fmt: skip

UNANSWERED = [
    "do you rent cars?",
    "what's the weather like in Hawaii",
    "do you sell used tires",
    "can I bring my dog to the office",
]

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The FAQ in alpha's memory, once for the module, with hash vectors (committed, so removed at the
    end): the tests only read it."""
    world = django_db_setup["alpha"]
    with django_db_blocker.unblock(), tenant_context(world.tenant):
        faq_demo_load()
        with override_embeddings("hash"):
            for pk in MemoryEntry.objects.values_list("pk", flat=True):
                assert memory_embed(entry_id=pk) == "embedded"
    yield world
    with django_db_blocker.unblock(), tenant_context(world.tenant):
        MemoryEntry.objects.all().delete()


def override_embeddings(backend):
    from django.test import override_settings

    return override_settings(EMBEDDING_BACKEND=backend)


def recall_at_3(world) -> tuple[float, list[str]]:
    misses = []
    with tenant_context(world.tenant):
        for question, expected in LABELLED:
            found = [entry.title for entry, _score in memory_search(query=question, limit=3)]
            if expected not in found:
                misses.append(f"{question!r}: wanted {expected!r}, got {found}")
    return 1 - len(misses) / len(LABELLED), misses


def test_the_labelled_set_is_big_enough_and_covers_real_entries():
    assert len(LABELLED) >= 30 and len(FAQ) >= 20
    assert all(expected in TITLES for _q, expected in LABELLED)
    assert not any(question.lower() == expected.lower() for question, expected in LABELLED)


def test_full_text_alone_finds_the_answer_in_the_top_3(loaded, settings):
    settings.EMBEDDING_BACKEND = ""
    recall, misses = recall_at_3(loaded)
    assert recall >= 0.9, "\n".join(misses)


def test_hybrid_with_the_hash_embedder_finds_the_answer_in_the_top_3(loaded, settings):
    settings.EMBEDDING_BACKEND = "hash"
    with tenant_context(loaded.tenant):  # the vector half takes part
        [(_entry, score)] = memory_search(query=LABELLED[0][0], limit=1)
        assert score > 1 / 61
    recall, misses = recall_at_3(loaded)
    assert recall >= 0.9, "\n".join(misses)


def test_best_match_quotes_answers_and_not_what_the_faq_doesnt_say(loaded, settings):
    settings.EMBEDDING_BACKEND = ""
    with tenant_context(loaded.tenant):
        quoted = [memory_best_match(question=q) for q, _expected in LABELLED]
        right = sum(
            1
            for match, (_q, expected) in zip(quoted, LABELLED, strict=True)
            if match and match[0].title == expected
        )
        wrong = [
            (q, match[0].title)
            for match, (q, expected) in zip(quoted, LABELLED, strict=True)
            if match and match[0].title != expected
        ]
        # Quoting a wrong answer is worse than handing over to the owner: few quotes are wrong.
        assert right / len(LABELLED) >= 0.6, wrong
        assert len(wrong) <= 2, wrong
        for question in UNANSWERED:
            match = memory_best_match(question=question)
            assert match is None, (question, match and (match[0].title, match[1]))
        entry, confidence = memory_best_match(question="how much gas should be in the tank")
        assert confidence >= CONFIDENT and entry.title.startswith("How should I prepare")
        assert memory_best_match(question="how much gas should be in the tank", sources=["note"]) is None


def test_the_demo_faq_loads_once(loaded):
    with tenant_context(loaded.tenant):
        assert faq_demo_load() == 0  # loaded again: merged into the same entries
        assert MemoryEntry.objects.filter(source="faq").count() == len(FAQ)
