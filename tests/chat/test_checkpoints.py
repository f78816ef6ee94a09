"""Agent checkpoints through the official MCP client: save, restore, session start, the size bound,
the latest five kept, owner search, and privacy between agents and between tenants."""

from __future__ import annotations

import pytest

from chat.models import CHECKPOINT_MAX_CHARS, Agent, Checkpoint, MemoryEntry
from chat.selectors import memory_search_queryset
from chat.services.checkpoints import checkpoint_save
from tests.chat.test_mcp import app, calls, error_code, in_schema, token_for  # noqa: F401

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
