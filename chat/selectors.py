"""Reading the business memory: a list (newest first) and full-text search."""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import F, QuerySet

from chat.models import SEARCH_CONFIG, MemoryEntry


def memory_list(*, source: str | None = None) -> QuerySet[MemoryEntry]:
    entries = MemoryEntry.objects.all()
    return entries.filter(source=source) if source else entries


def memory_search_queryset(*, query: str, source: str | None = None) -> QuerySet[MemoryEntry]:
    """Entries matching `query` (web-search syntax: words, "phrases", -not, or), best first, each with
    `rank` (ts_rank_cd over the weighted vector: a match in the text counts more than one in a tag)."""
    tsquery = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    entries = memory_list(source=source).filter(search=tsquery)
    return entries.annotate(rank=SearchRank(F("search"), tsquery, cover_density=True)).order_by(
        "-rank", "-updated", "-pk"
    )


def memory_search(*, query: str, limit: int = 10) -> list[tuple[MemoryEntry, float]]:
    return [(entry, entry.rank) for entry in memory_search_queryset(query=query)[:limit]]
