"""Agent checkpoints through the official MCP client: save, restore, session start, the size bound,
the latest five kept, owner search, and privacy between agents and between tenants."""

from __future__ import annotations

import pytest

from chat.models import CHECKPOINT_MAX_CHARS, Agent, Checkpoint, MemoryEntry
from chat.selectors import memory_search_queryset
from chat.services.checkpoints import checkpoint_save
from tests.chat.test_mcp import app, calls, error_code, in_schema, token_for  # noqa: F401
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SAVED = {
    "task": "Rewrite the Ottawa landing page",
    "summary": "Drafted the intro; waiting on prices from the owner.",
    "open_questions": ["Is the winter discount still 10%?"],
    "recent_messages": ["owner: use the new photos"],
}


def test_a_checkpoint_round_trip_and_session_start(app, alpha):  # noqa: F811
    secret = token_for(alpha, scopes=["memory"]).secret
    saved, restored, fresh, stale, search = calls(
        app,
        alpha,
        secret,
        ("checkpoint_save", SAVED),
        ("checkpoint_restore", {}),
        ("session_start", {"stale": False}),
        ("session_start", {"stale": True}),
        ("search_memory", {"query": "winter discount Ottawa"}),
    )
    assert not any(r.is_error for r in (saved, restored, fresh, stale, search))
    assert saved.structured_content["version"] == 1
    body = restored.structured_content
    assert {k: body[k] for k in SAVED} == SAVED and body["agent"] == "SEO agent" and body["shared"] is False
    assert fresh.structured_content["checkpoint"] is None
    assert stale.structured_content["checkpoint"]["summary"] == SAVED["summary"]
    # The owner finds it in the memory; agents' memory search never shows a checkpoint.
    assert search.structured_content["results"] == []
    in_schema(alpha)
    [entry] = memory_search_queryset(query="winter discount Ottawa", private=True)
    assert entry.source == MemoryEntry.Source.CHECKPOINT and "waiting on prices" in entry.text
    assert Checkpoint.objects.get().memory_entry == entry


def test_a_checkpoint_at_the_size_limit_is_saved_and_one_past_it_is_refused(app, alpha):  # noqa: F811
    secret = token_for(alpha, scopes=["memory"]).secret
    task = "t" * 100
    at_limit = {"task": task, "summary": "s" * (CHECKPOINT_MAX_CHARS - 100)}
    past = {"task": task, "summary": "s" * (CHECKPOINT_MAX_CHARS - 110), "open_questions": ["q" * 11]}
    ok, refused = calls(app, alpha, secret, ("checkpoint_save", at_limit), ("checkpoint_save", past))
    assert not ok.is_error and ok.structured_content["version"] == 1
    assert error_code(refused) == "checkpoint_too_large"
    in_schema(alpha)
    assert list(Checkpoint.objects.values_list("version", flat=True)) == [1]


def test_only_the_latest_five_versions_are_kept_with_their_memory(alpha):
    in_schema(alpha)
    agent = Agent.objects.create(name="content agent")
    for n in range(1, 7):
        checkpoint_save(
            agent=agent, task="", summary=f"step number {n}", open_questions=[], recent_messages=[]
        )
    assert list(agent.checkpoints.values_list("version", flat=True)) == [6, 5, 4, 3, 2]
    texts = MemoryEntry.objects.filter(source="checkpoint").values_list("text", flat=True)
    assert sorted(t.splitlines()[-1] for t in texts) == [f"step number {n}" for n in range(2, 7)]


def test_another_agent_reads_a_checkpoint_only_when_it_was_shared(app, alpha):  # noqa: F811
    seo = token_for(alpha, scopes=["memory"], name="SEO agent").secret
    writer = token_for(alpha, scopes=["memory"], name="Content agent").secret
    calls(app, alpha, seo, ("checkpoint_save", SAVED))
    mine, theirs, start = calls(
        app,
        alpha,
        writer,
        ("checkpoint_restore", {}),
        ("checkpoint_restore", {"agent": "SEO agent"}),
        ("session_start", {"stale": True}),
    )
    assert error_code(mine) == "checkpoint_not_found"
    assert error_code(theirs) == "checkpoint_not_found"
    assert start.structured_content["checkpoint"] is None
    calls(app, alpha, seo, ("checkpoint_save", SAVED | {"summary": "Shared notes.", "shared": True}))
    (theirs,) = calls(app, alpha, writer, ("checkpoint_restore", {"agent": "SEO agent"}))
    assert (
        theirs.structured_content["summary"] == "Shared notes." and theirs.structured_content["version"] == 2
    )


def test_another_tenants_agent_never_reads_a_checkpoint(app, alpha, beta):  # noqa: F811
    alphas = token_for(alpha, scopes=["memory"]).secret
    betas = token_for(beta, scopes=["memory"]).secret  # the same agent name, in the other business
    calls(app, alpha, alphas, ("checkpoint_save", SAVED | {"shared": True}))
    own, named, start = calls(
        app,
        beta,
        betas,
        ("checkpoint_restore", {}),
        ("checkpoint_restore", {"agent": "SEO agent", "version": 1}),
        ("session_start", {"stale": True}),
    )
    assert error_code(own) == "checkpoint_not_found" and error_code(named) == "checkpoint_not_found"
    assert start.structured_content["checkpoint"] is None


# --- a private checkpoint is the owners' alone, in every reader of the memory ----------------------

PRIVATE = "Zanzibar freight rebate negotiation stalled"  # words nothing else in the memory holds


@pytest.fixture
def private_checkpoint(app, alpha):  # noqa: F811
    """The SEO agent's private checkpoint and the Content agent's token (agent B of the same business)."""
    seo = token_for(alpha, scopes=["memory"], name="SEO agent").secret
    other = token_for(alpha, scopes=["memory"], name="Content agent").secret
    calls(app, alpha, seo, ("checkpoint_save", SAVED | {"summary": PRIVATE}))
    in_schema(alpha)
    entry = Checkpoint.objects.get().memory_entry
    assert entry.source == MemoryEntry.Source.CHECKPOINT
    return entry, seo, other


def test_other_agents_neither_find_nor_propose_to_change_a_private_checkpoint(app, alpha, private_checkpoint):  # noqa: F811
    entry, seo, other = private_checkpoint
    for secret in (other, seo):
        found, asked, replace = calls(
            app,
            alpha,
            secret,
            ("search_memory", {"query": "Zanzibar freight rebate"}),
            ("search_memory", {"query": "Zanzibar freight rebate", "sources": ["agent", "note"]}),
            ("add_memory", {"text": "Rebate agreed.", "replaces": entry.pk}),
        )
        assert found.structured_content["results"] == [] and asked.structured_content["results"] == []
        assert error_code(replace) == "memory_entry_not_found"
    (refused,) = calls(app, alpha, other, ("search_memory", {"query": "Zanzibar", "sources": ["checkpoint"]}))
    assert refused.is_error


def test_members_never_see_a_checkpoint_on_the_memory_page_and_owners_do(alpha, private_checkpoint):
    member = client_for(alpha, user=alpha.member)
    owner = client_for(alpha, user=alpha.owner)
    for url in (
        "/dashboard/memory/?q=Zanzibar",
        "/dashboard/memory/?source=checkpoint",
        "/dashboard/memory/",
    ):
        assert "negotiation stalled" not in member.get(url).content.decode()
        assert "negotiation stalled" in owner.get(url).content.decode()
    assert 'value="checkpoint"' not in member.get("/dashboard/memory/").content.decode()
    assert 'value="checkpoint"' in owner.get("/dashboard/memory/").content.decode()
    # Nobody files an entry as a checkpoint (it would pass for an agent's); an owner edits one as it is.
    for client in (member, owner):
        filed = client.post("/dashboard/memory/new/", {"text": "A fake checkpoint.", "source": "checkpoint"})
        assert filed.status_code == 400
    entry, _seo, _other = private_checkpoint
    edit = owner.get(f"/dashboard/memory/{entry.pk}/edit/").content.decode()
    assert 'value="checkpoint" selected' in edit


def test_api_keys_and_members_never_read_a_checkpoint_over_the_api_and_owners_do(alpha, private_checkpoint):
    from tests.chat.test_memory import key_client

    entry, _seo, _other = private_checkpoint
    owner = client_for(alpha, user=alpha.owner)
    for client in (key_client(alpha), client_for(alpha, user=alpha.member)):
        for url in ("/api/v1/memory/?q=Zanzibar", "/api/v1/memory/?source=checkpoint", "/api/v1/memory/"):
            assert "negotiation stalled" not in client.get(url).content.decode()
        assert client.get(f"/api/v1/memory/{entry.pk}/").status_code == 404
        filed = client.post(
            "/api/v1/memory/",
            {"text": "A fake checkpoint.", "source": "checkpoint"},
            content_type="application/json",
        )
        assert filed.status_code == 400
    assert [r["id"] for r in owner.get("/api/v1/memory/?q=Zanzibar").json()["results"]] == [entry.pk]
    assert owner.get(f"/api/v1/memory/{entry.pk}/").json()["text"].count("Zanzibar") == 1
    in_schema(alpha)
    assert not MemoryEntry.objects.filter(text="A fake checkpoint.").exists()


def test_the_assistant_never_draws_on_a_checkpoint_for_a_visitor(alpha, private_checkpoint):
    from chat.selectors import memory_best_match, memory_search
    from chat.services.assistant import retrieve

    entry, _seo, _other = private_checkpoint
    question = "Zanzibar freight rebate negotiation?"
    assert retrieve(question=question).entries == [] and retrieve(question=question).best is None
    assert memory_search(query=question) == [] and memory_best_match(question=question) is None
    assert memory_search(query=question, sources=["checkpoint"]) == []
    assert [e.pk for e, _score in memory_search(query=question, private=True)] == [entry.pk]


def test_near_duplicate_merging_never_crosses_into_or_out_of_a_checkpoint(alpha, settings):
    """Checkpoints are each a version of one agent's state, for owners only: embedding never merges
    one into another (an agent's next version saying nearly the same), nor a note everyone reads into
    a private checkpoint (or the other way round)."""
    from chat.embeddings import HASH_MODEL, entry_document
    from chat.models import EMBEDDING_DIMENSIONS
    from chat.selectors import memory_list
    from chat.services.memory import memory_add, memory_embedding_store

    settings.EMBEDDING_BACKEND = "hash"
    in_schema(alpha)
    agent = Agent.objects.create(name="content agent")
    first = checkpoint_save(
        agent=agent, task="", summary="Draft the spring page", open_questions=[], recent_messages=[]
    )
    second = checkpoint_save(
        agent=agent, task="", summary="Draft the spring page.", open_questions=[], recent_messages=[]
    )
    note, _ = memory_add(text="Draft the spring page", source="note")
    vector = [1.0] + [0.0] * (EMBEDDING_DIMENSIONS - 1)  # all three: identical vectors
    for entry in MemoryEntry.objects.filter(pk__in=[first.memory_entry_id, second.memory_entry_id, note.pk]):
        document = entry_document(title=entry.title, text=entry.text, tags=entry.tags)
        assert (
            memory_embedding_store(entry_id=entry.pk, document=document, vector=vector, model=HASH_MODEL)
            == "embedded"
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.memory_entry_id is not None and second.memory_entry_id is not None
    assert first.memory_entry_id != second.memory_entry_id
    assert list(memory_list().values_list("pk", flat=True)) == [note.pk]  # a member still finds the note


def test_an_owner_elsewhere_is_only_a_member_here_for_checkpoints(alpha, beta, private_checkpoint):
    """A person who owns beta and is a member of alpha: alpha's checkpoints stay hidden from them, on
    alpha's memory page and API (owning another business counts for nothing here)."""
    from tenants.models import Membership

    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    entry, _seo, _other = private_checkpoint
    client = client_for(alpha, user=beta.owner)
    assert "negotiation stalled" not in client.get("/dashboard/memory/?q=Zanzibar").content.decode()
    assert "negotiation stalled" not in client.get("/api/v1/memory/?q=Zanzibar").content.decode()
    assert client.get(f"/api/v1/memory/{entry.pk}/").status_code == 404
    assert client.get("/agents/bus/").status_code in (403, 404)


# --- duplicate detection never involves a checkpoint ---------------------------------------------


def test_adding_a_checkpoints_exact_title_and_text_makes_a_new_entry_and_reveals_nothing(
    app,  # noqa: F811
    alpha,
    private_checkpoint,
):
    """Another agent (or the saving one) adding exactly a checkpoint's title and text is answered as
    for any new fact: a new entry of its own, not "merged" into the checkpoint it can't see."""
    entry, _seo, other = private_checkpoint
    copy = {"title": entry.title, "text": entry.text, "tags": ["copied"]}
    unrelated = {"title": "Do you ship to Yukon?", "text": "Yes, in summer."}
    added, fresh = calls(app, alpha, other, ("add_memory", copy), ("add_memory", unrelated))
    assert added.structured_content["created"] is fresh.structured_content["created"] is True
    assert added.structured_content["status"] == fresh.structured_content["status"] == "saved"
    assert added.structured_content["entry"] != entry.pk
    in_schema(alpha)
    kept = MemoryEntry.objects.get(pk=entry.pk)
    assert (kept.source, kept.tags, kept.text) == ("checkpoint", entry.tags, entry.text)
    copied = MemoryEntry.objects.get(pk=added.structured_content["entry"])
    assert (copied.source, copied.tags) == ("agent", ["copied"])
    assert [e.pk for e in memory_search_queryset(query="Zanzibar freight rebate")] == [copied.pk]


def test_a_checkpoint_never_merges_into_an_entry_that_says_the_same(alpha):
    """The other way round: a checkpoint whose title and text an ordinary entry already holds gets an
    entry of its own, and that entry goes when the checkpoint version is dropped, the ordinary one
    stays."""
    from chat.services.memory import memory_add, memory_update

    in_schema(alpha)
    agent = Agent.objects.create(name="content agent")
    title = "Checkpoint of content agent, version 1"
    text = "Task: (none)\nSummary:\nstep number 1"
    note, created = memory_add(title=title, text=text, source="note", tags=["mine"])
    assert created
    first = checkpoint_save(
        agent=agent, task="", summary="step number 1", open_questions=[], recent_messages=[]
    )
    assert first.memory_entry_id != note.pk
    note.refresh_from_db()
    assert note.tags == ["mine"] and note.source == "note"
    for n in range(2, 7):
        checkpoint_save(
            agent=agent, task="", summary=f"step number {n}", open_questions=[], recent_messages=[]
        )
    assert not MemoryEntry.objects.filter(pk=first.memory_entry_id).exists()
    assert MemoryEntry.objects.filter(pk=note.pk).exists()
    # an owner's edit of a checkpoint's entry keeps it out of duplicate detection
    latest = memory_update(
        entry=Checkpoint.objects.get(agent=agent, version=6).memory_entry, data={"text": "Edited."}
    )
    copy, created = memory_add(title=latest.title, text="Edited.", source="agent")
    assert created and copy.pk != latest.pk


def test_the_migration_moves_older_checkpoint_entries_out_of_duplicate_detection(alpha):
    """Checkpoint entries saved before the fix carry a plain digest: the data migration rehashes
    them, and an agent's copy of one then makes a new entry."""
    import importlib

    from django.apps import apps

    from chat.services.memory import memory_add, text_digest

    migration = importlib.import_module("chat.migrations.0012_checkpoint_digests")
    in_schema(alpha)
    agent = Agent.objects.create(name="content agent")
    entry = checkpoint_save(
        agent=agent, task="", summary="Old private work", open_questions=[], recent_messages=[]
    ).memory_entry
    MemoryEntry.objects.filter(pk=entry.pk).update(digest=text_digest(entry.text, entry.title))  # as before
    migration.rehash(apps, None)
    copy, created = memory_add(title=entry.title, text=entry.text, source="agent")
    assert created and copy.pk != entry.pk
    migration.rehash(apps, None)  # again: nothing to do
    assert MemoryEntry.objects.get(pk=entry.pk).digest == text_digest(
        entry.text, entry.title, source="checkpoint"
    )
