"""Memory embeddings: the task that embeds an entry after commit (hash backend, and OpenAI's API
replayed with respx), its retries, near-duplicates merged at the similarity threshold, the hybrid
search's fusion, and other tenants kept out of the vector search too."""

import json
import math

import httpx
import pytest
import respx
from celery.exceptions import Retry
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from chat.embeddings import HASH_MODEL, EmbeddingUnavailable, entry_document, hash_embed
from chat.models import EMBEDDING_DIMENSIONS, Answer, MemoryEntry
from chat.selectors import memory_best_match, memory_search, rrf
from chat.services.memory import (
    NEAR_DUPLICATE,
    memory_add,
    memory_embed,
    memory_embedding_store,
    memory_update,
)
from chat.tasks import memory_entry_embed
from tests.chat.test_memory import client_for

pytestmark = pytest.mark.django_db
OPENAI_EMBEDDINGS = "https://api.openai.com/v1/embeddings"


@pytest.fixture
def hashed(settings):
    settings.EMBEDDING_BACKEND = "hash"


@pytest.fixture
def openai(settings):
    settings.EMBEDDING_BACKEND = "openai"
    settings.OPENAI_API_KEY = "sk-test-key"
    settings.EMBEDDING_MODEL = "text-embedding-3-small"


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def unit(*pairs):
    """A unit vector of EMBEDDING_DIMENSIONS with the given (index, value) components."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for index, value in pairs:
        vector[index] = value
    return vector


def at_similarity(similarity):
    """A unit vector whose cosine with unit((0, 1)) is `similarity`."""
    return unit((0, similarity), (1, math.sqrt(1 - similarity**2)))


def recorded_embedding(vectors, model="text-embedding-3-small"):
    """OpenAI's answer to POST /v1/embeddings with encoding_format=float, as recorded."""
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": 12, "total_tokens": 12},
    }


def doc(entry):
    """What the task would have embedded for the entry as stored."""
    entry = stored(entry)
    return entry_document(title=entry.title, text=entry.text, tags=entry.tags)


def stored(entry):
    entry.refresh_from_db()
    return entry


# --- the hash embedder -----------------------------------------------------------------------------


def test_the_hash_embedder_is_deterministic_normalised_and_similar_for_similar_texts():
    a = hash_embed("How long does shipping a car to Vancouver take?")
    assert a == hash_embed("How long does shipping a car to Vancouver take?")
    assert len(a) == EMBEDDING_DIMENSIONS and abs(math.sqrt(cosine(a, a)) - 1) < 1e-9
    near = hash_embed("how long to ship my car to vancouver")
    far = hash_embed("We accept Visa and Interac e-Transfer.")
    assert cosine(a, near) > 0.5 > cosine(a, far)
    assert not any(hash_embed("it is what it was"))  # stop words alone: nothing to compare


# --- the task --------------------------------------------------------------------------------------


def test_an_entry_is_embedded_after_commit_and_found_by_text_before(
    alpha, hashed, django_capture_on_commit_callbacks
):
    with tenant_context(alpha.tenant):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            entry, _ = memory_add(
                text="Halifax trucks leave on Mondays.", source="faq", title="When to Halifax?"
            )
        assert len(callbacks) == 1  # queued for after the commit, not run inside the write
        assert stored(entry).embedding is None
        [(found, _score)] = memory_search(query="what day do trucks go to halifax")
        assert found.pk == entry.pk and found.similarity is None  # by text alone
        callbacks[0]()  # the commit: the task runs (eagerly in tests)
        entry = stored(entry)
        assert entry.embedding_model == HASH_MODEL
        assert (
            cosine(list(entry.embedding), hash_embed("When to Halifax?\nHalifax trucks leave on Mondays."))
            > 0.999
        )
        [(found, _score)] = memory_search(query="what day do trucks go to halifax")
        assert found.similarity > 0.3
        assert memory_entry_embed.apply(kwargs={"entry_id": entry.pk}).get() == "current"  # redelivered


def test_new_words_are_embedded_again_and_a_late_vector_for_old_words_is_dropped(
    alpha, hashed, django_capture_on_commit_callbacks
):
    with tenant_context(alpha.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            entry, _ = memory_add(text="We ship cars.", source="note")
        first = list(stored(entry).embedding)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            memory_update(entry=entry, data={"source": "faq"})
        assert callbacks == [] and stored(entry).embedding is not None  # same words: same vector
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            memory_update(entry=entry, data={"tags": ["boats"]})
        assert len(callbacks) == 1 and stored(entry).embedding is None
        # a task that read the entry before the change stores nothing
        assert (
            memory_embedding_store(
                entry_id=entry.pk, document="We ship cars.", vector=first, model=HASH_MODEL
            )
            == "stale"
        )
        callbacks[0]()
        assert list(stored(entry).embedding) != first
        entry.delete()
        assert memory_embed(entry_id=entry.pk) == "gone"


def test_embeddings_off_queue_nothing(alpha, settings, django_capture_on_commit_callbacks):
    settings.EMBEDDING_BACKEND = ""
    with tenant_context(alpha.tenant):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            entry, _ = memory_add(text="We ship cars.", source="note")
        assert callbacks == []
        assert memory_embed(entry_id=entry.pk) == "off"


@respx.mock
def test_the_openai_backend_embeds_through_the_api(alpha, openai, django_capture_on_commit_callbacks):
    vector = at_similarity(0.5)
    route = respx.post(OPENAI_EMBEDDINGS).mock(
        return_value=httpx.Response(200, json=recorded_embedding([vector]))
    )
    with tenant_context(alpha.tenant):
        with django_capture_on_commit_callbacks(execute=True):
            entry, _ = memory_add(text="Halifax trucks leave on Mondays.", source="faq", tags=["east"])
        entry = stored(entry)
        assert entry.embedding_model == "text-embedding-3-small"
        assert cosine(list(entry.embedding), vector) > 0.999
    request = route.calls.last.request
    assert request.headers["authorization"] == "Bearer sk-test-key"
    assert json.loads(request.content) == {
        "model": "text-embedding-3-small",
        "input": ["Halifax trucks leave on Mondays.\neast"],
        "dimensions": 256,
        "encoding_format": "float",
    }


@pytest.fixture
def retries_run_eagerly(monkeypatch):
    """Tests propagate a task's exceptions (CELERY_TASK_EAGER_PROPAGATES), which also stops Celery from
    running an eager task's retries: let them run, as a worker would (without the backoff's wait)."""
    monkeypatch.setitem(memory_entry_embed.app.conf, "task_eager_propagates", False)


@respx.mock
def test_a_provider_500_is_retried_and_then_given_up(alpha, openai, retries_run_eagerly):
    vector = at_similarity(0.5)
    failure = httpx.Response(500, json={"error": {"message": "boom", "type": "server_error"}})
    route = respx.post(OPENAI_EMBEDDINGS).mock(
        side_effect=[failure, failure, httpx.Response(200, json=recorded_embedding([vector]))]
    )
    assert memory_entry_embed.max_retries == 5
    with tenant_context(alpha.tenant):
        entry, _ = memory_add(text="We ship cars.", source="note")
        assert memory_entry_embed.apply(kwargs={"entry_id": entry.pk}).get() == "embedded"
        assert route.call_count == 3  # two failures, each retried
        assert stored(entry).embedding_model == "text-embedding-3-small"
        route.side_effect = None
        route.mock(return_value=failure)
        other, _ = memory_add(text="We ship boats.", source="note")
        result = memory_entry_embed.apply(kwargs={"entry_id": other.pk})
        assert result.state == "FAILURE" and isinstance(result.result, EmbeddingUnavailable)
        assert route.call_count == 3 + 6  # the first try and 5 retries, then it gives up
        assert stored(other).embedding is None
        # the search's own call waits 3 s at most (the task's 10)
        route.mock(return_value=httpx.Response(200, json=recorded_embedding([vector])))
        memory_search(query="boats")
        assert route.calls.last.request.extensions["timeout"]["read"] == 3.0
        route.mock(return_value=failure)
        # still found, by text: the search doesn't wait for the provider either
        assert [e.text for e, _s in memory_search(query="boats")] == ["We ship boats."]


@respx.mock
def test_a_provider_error_in_a_worker_asks_for_a_retry(alpha, openai):
    respx.post(OPENAI_EMBEDDINGS).mock(return_value=httpx.Response(429, json={"error": {"message": "slow"}}))
    with tenant_context(alpha.tenant):
        entry, _ = memory_add(text="We ship cars.", source="note")
        with pytest.raises(Retry):
            memory_entry_embed.apply(kwargs={"entry_id": entry.pk})


# --- near-duplicates -------------------------------------------------------------------------------


def test_near_duplicates_merge_at_the_threshold_and_not_below(alpha, hashed):
    assert NEAR_DUPLICATE == 0.92
    with tenant_context(alpha.tenant):
        older, _ = memory_add(text="We ship cars to Florida.", source="faq", tags=["florida"])
        newer, _ = memory_add(
            text="Cars go to Florida with us.", source="chat", tags=["snowbirds", "florida"]
        )
        apart, _ = memory_add(text="Florida trucks are full in October.", source="note")
        answer = Answer.objects.create(
            question_text="Where to?", text="Florida", via="sms", memory_entry=newer
        )
        assert (
            memory_embedding_store(
                entry_id=older.pk, document=doc(older), vector=unit((0, 1)), model=HASH_MODEL
            )
            == "embedded"
        )
        # just below: two entries
        assert (
            memory_embedding_store(
                entry_id=apart.pk,
                document=doc(apart),
                vector=unit((0, 0.919), (2, math.sqrt(1 - 0.919**2))),  # 0.919 × 0.921 ≈ 0.85 to `newer`
                model=HASH_MODEL,
            )
            == "embedded"
        )
        # just above: the newer goes into the older
        assert (
            memory_embedding_store(
                entry_id=newer.pk, document=doc(newer), vector=at_similarity(0.921), model=HASH_MODEL
            )
            == "merged"
        )
        assert set(MemoryEntry.objects.values_list("pk", flat=True)) == {older.pk, apart.pk}
        older = stored(older)
        assert older.text == "We ship cars to Florida." and older.tags == ["florida", "snowbirds"]
        answer.refresh_from_db()
        assert answer.memory_entry_id == older.pk
        assert older.embedding is None  # new tags: embedded again (after commit)
        assert memory_search(query="snowbirds")[0][0].text == "We ship cars to Florida."


def test_a_near_duplicate_embedded_first_still_merges_into_the_older(alpha, hashed):
    with tenant_context(alpha.tenant):
        older, _ = memory_add(text="Pets ride free.", source="faq")
        newer, _ = memory_add(text="Your pet travels free.", source="chat")
        memory_embedding_store(
            entry_id=newer.pk,
            document=entry_document(title="", text=newer.text),
            vector=unit((0, 1)),
            model=HASH_MODEL,
        )
        assert (
            memory_embedding_store(
                entry_id=older.pk,
                document=entry_document(title="", text=older.text),
                vector=at_similarity(0.95),
                model=HASH_MODEL,
            )
            == "merged"
        )
        assert list(MemoryEntry.objects.values_list("text", flat=True)) == ["Pets ride free."]


# --- hybrid search ---------------------------------------------------------------------------------


def test_reciprocal_rank_fusion():
    assert rrf([[1, 2, 3], [3, 1]]) == [(1, 1 / 61 + 1 / 62), (3, 1 / 63 + 1 / 61), (2, 1 / 62)]
    assert [pk for pk, _ in rrf([[7, 8], []])] == [7, 8]
    assert [pk for pk, _ in rrf([[], [9, 7]])] == [9, 7]


def test_the_vector_ranking_lifts_an_entry_the_words_rank_second(alpha, hashed):
    question = "trucks to halifax on mondays"
    with tenant_context(alpha.tenant):
        # A holds most of the words; B fewer; C none (only a vector close to the question's)
        a, _ = memory_add(text="Halifax trucks: Mondays, and trucks to Moncton.", source="faq")
        b, _ = memory_add(text="Halifax is served weekly.", source="faq")
        c, _ = memory_add(text="Ask dispatch.", source="faq")
        q = hash_embed(question)
        r = unit((3, 1))
        r = [x - cosine(r, q) * y for x, y in zip(r, q, strict=True)]
        r = [x / math.sqrt(cosine(r, r)) for x in r]  # a unit vector orthogonal to q
        near = [0.8 * x + 0.6 * y for x, y in zip(q, r, strict=True)]  # cosine 0.8 with q
        for entry, vector in ((b, q), (c, near), (a, [-x for x in q])):
            outcome = memory_embedding_store(
                entry_id=entry.pk,
                document=entry_document(title="", text=entry.text),
                vector=vector,
                model=HASH_MODEL,
            )
            assert outcome == "embedded"
        results = memory_search(query=question)
    # text ranks a (1) b (2); vectors b (1) c (2) a (3): b = 1/62 + 1/61 > a = 1/61 + 1/63 > c = 1/62
    assert [e.pk for e, _s in results] == [b.pk, a.pk, c.pk]
    assert [s for _e, s in results] == pytest.approx([1 / 62 + 1 / 61, 1 / 61 + 1 / 63, 1 / 62])
    assert results[0][0].similarity == pytest.approx(1.0, abs=1e-5)
    assert results[2][0].similarity == pytest.approx(0.8, abs=1e-5)


@respx.mock
def test_a_failing_provider_leaves_the_search_to_text(alpha, openai):
    respx.post(OPENAI_EMBEDDINGS).mock(side_effect=httpx.ConnectTimeout("timed out"))
    with tenant_context(alpha.tenant):
        memory_add(text="We ship cars to Florida.", source="faq")
        [(entry, score)] = memory_search(query="do you ship to florida?")
        assert entry.text == "We ship cars to Florida." and score == pytest.approx(1 / 61)
        match = memory_best_match(question="do you ship to florida?")
        assert match is not None and match[1] == 1.0


# --- other tenants ---------------------------------------------------------------------------------


def test_another_tenants_entries_are_never_found_nor_merged(
    alpha, beta, hashed, django_capture_on_commit_callbacks
):
    words = "Alpha's secret Halifax discount."
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(beta.tenant):
            mine, _ = memory_add(text=words, source="faq")  # the same words in beta
        with tenant_context(alpha.tenant):
            secret, _ = memory_add(text=words, source="faq")
            if secret.pk == mine.pk:  # ids are per schema: alpha's must be one beta doesn't have
                secret.delete()
                secret, _ = memory_add(text=words, source="faq")
    with tenant_context(alpha.tenant):
        assert stored(secret).embedding is not None  # not merged into beta's, nor beta's into it
    with tenant_context(beta.tenant):
        assert stored(mine).embedding is not None
        results = memory_search(query="alpha secret halifax discount")
        assert [e.pk for e, _s in results] == [mine.pk]
        assert memory_search(query="halifax", sources=["note"]) == []
    # a person who belongs to both tenants, on beta's host, can't reach alpha's entry
    from tenants.models import Membership, User

    person = User.objects.create_user(email="both-embeddings@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    client = client_for(beta, user=person)
    url = f"/api/v1/memory/{secret.pk}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"title": "mine"}, content_type="application/json").status_code == 404
    found = client.get("/api/v1/memory/?q=halifax discount").json()["results"]
    assert [r["id"] for r in found] == [mine.pk]
    with tenant_context(alpha.tenant):
        assert stored(secret).title == ""


def test_unknown_sources_are_refused(alpha):
    with tenant_context(alpha.tenant), pytest.raises(ValidationError):
        memory_best_match(question="halifax", sources=["nope"])


def test_entries_written_before_embeddings_were_on_are_embedded_by_the_command(
    alpha, settings, django_capture_on_commit_callbacks
):
    from django.core.management import CommandError, call_command

    settings.EMBEDDING_BACKEND = ""
    with tenant_context(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        entry, _ = memory_add(text="We close the yard on Canada Day.", source="note")
    with pytest.raises(CommandError, match="Embeddings are off"):
        call_command("memory_embed", "--all")
    settings.EMBEDDING_BACKEND = "hash"
    with pytest.raises(CommandError, match="No active tenant"):
        call_command("memory_embed", "--tenant", "nobody-here")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("memory_embed", "--tenant", alpha.tenant.subdomain)
    with tenant_context(alpha.tenant):
        entry.refresh_from_db()
    assert entry.embedding_model == HASH_MODEL and entry.embedding is not None


def test_the_migration_reweights_vectors_written_before_titles(alpha):
    import importlib

    from django.apps import apps

    reweight = importlib.import_module("chat.migrations.0005_memory_search_reweight").reweight
    with tenant_context(alpha.tenant):
        entry, _ = memory_add(title="Winter storage", text="Heated warehouse in Vaughan.", source="faq")
        written = MemoryEntry.objects.values_list("search", flat=True).get(pk=entry.pk)
        MemoryEntry.objects.filter(pk=entry.pk).update(search=None)  # as an entry of before
        reweight(apps, None)
        assert MemoryEntry.objects.values_list("search", flat=True).get(pk=entry.pk) == written
