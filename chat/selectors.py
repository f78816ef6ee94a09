"""Reading the business memory: a list (newest first), the owner's search (paginated, full-text) and
the assistant's search (full-text fused with vector similarity when embeddings are on).

Full-text: an entry's `search` vector weighs its title A, its text B and its tags C ('english'
configuration: stemmed, stop words dropped). A query with explicit search syntax ("a phrase",
-word) is read as web-search syntax: every word must match. Any other query is read as a question:
its words (stop words dropped, stemmed; words of 4+ letters also as prefixes) are OR-ed and entries
are ranked by Σ idf(word) × ts_rank_cd(word) (see _text_query), so "how long does it take to ship my
car to vancouver?" finds the entry about Vancouver transit times although it says neither "long" nor
"take", and "vancouver" counts more than "car". Word frequencies are counted in a small memory and
taken from the planner's statistics (pg_stats) in one of SMALL entries or more. There, a word found
in more than COMMON entries is left out of the question's filter while rarer words remain, and at
most MATCHED matches are ranked: the cost of a question stays about flat as the memory grows (the
vector half still reads the whole memory through its index).

Hybrid (memory_search with EMBEDDING_BACKEND set): the question is embedded and the CANDIDATES
nearest entries by cosine (HNSW) are fused with the CANDIDATES best by text with reciprocal rank
fusion: score = Σ 1 / (RRF_K + rank) over the two rankings (rank from 1). If the provider fails, the
search is text alone.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL
from pgvector.django import CosineDistance

from chat.embeddings import QUERY_TIMEOUT, EmbeddingUnavailable, embedder, embedding_model
from chat.models import SEARCH_CONFIG, MemoryEntry

logger = logging.getLogger(__name__)

RRF_K = 60
CANDIDATES = 50  # taken from each ranking before fusion
COMMON = 1000  # a question word found in more entries than this doesn't select candidates
# A question's candidates by text: at most MATCHED entries are read, the PRERANKED best of them by
# plain ts_rank_cd are ranked by rarity-weighted words (bounds for a question of common words alone in
# a memory of many thousand entries; the vector half still ranks the whole memory).
MATCHED = 1000
PRERANKED = 200
SMALL = 10_000  # a memory this small has its words counted; a larger one is estimated (pg_stats)
STATISTICS_TTL = 300.0
_statistics: dict[str, tuple[float, dict[str, float], float]] = {}
PREFIX_MIN = 4  # question words this long also match as prefixes (ship → shipment, shipper)
WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D (unused), C tags, B text, A title: ts_rank_cd's order
# memory_best_match quotes an entry when at least this share of the question's words (weighted by how
# rare each is in this memory) is in the entry; tested in tests/chat/test_retrieval.py.
CONFIDENT = 0.55
IDF_MIN_ENTRIES = 20
BEST_OF = 3

_SYNTAX = re.compile(r'"|(?:^|\s)-\w')


# Sources only a business's owners read (memory page and API signed in as an owner, the admin):
# agents' checkpoints are each agent's own working state. Members, API keys, other agents (MCP) and
# the assistant's retrieval for visitors never get them; every reader here leaves them out unless
# told `private=True`.
PRIVATE_SOURCES = (MemoryEntry.Source.CHECKPOINT,)


def memory_entries(*, private: bool = False) -> QuerySet[MemoryEntry]:
    """Every entry the reader may see: with `private`, the owners' private ones too."""
    entries = MemoryEntry.objects.all()
    return entries if private else entries.exclude(source__in=PRIVATE_SOURCES)


def memory_list(*, source: str | None = None, private: bool = False) -> QuerySet[MemoryEntry]:
    entries = memory_entries(private=private)
    return entries.filter(source=source) if source else entries


def _clean_sources(sources) -> list[str] | None:
    if sources is None:
        return None
    if isinstance(sources, str) or not isinstance(sources, Iterable):
        raise ValidationError({"sources": ValidationError("Sources are a list.", code="invalid")})
    sources = [str(source) for source in sources]
    if any(source not in MemoryEntry.Source.values for source in sources):
        raise ValidationError({"sources": ValidationError("Unknown source.", code="invalid_choice")})
    return sources


# --- the question's words -------------------------------------------------------------------------


@dataclass
class Words:
    """A query's lexemes and what is known of them in this memory."""

    lexemes: list[str]
    frequency: dict[str, int]  # entries holding each lexeme, counted up to COMMON + 1
    total: int  # entries in the memory (the planner's estimate for a large one)

    def idf(self, lexeme: str) -> float:
        # A memory of a few entries says little about which words are rare: counted as IDF_MIN_ENTRIES,
        # a word its only FAQ holds isn't worth a fraction of one it doesn't ("how much" in "how much
        # to ship my car to Italy?" would outweigh ship, car and Italy together).
        total = max(self.total, IDF_MIN_ENTRIES)
        return math.log((total + 1) / (self.frequency.get(lexeme, 0) + 0.5)) + 0.1

    def selective(self) -> list[str]:
        """The lexemes that select candidates: all but the common ones (if any is left)."""
        rare = [lexeme for lexeme in self.lexemes if self.frequency.get(lexeme, 0) <= COMMON]
        return rare or self.lexemes


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _or_query(lexemes: list[str]) -> str:
    """The tsquery text OR-ing `lexemes` (already normalised), long ones as prefixes too."""
    return " | ".join(_quote(lex) + (":*" if len(lex) >= PREFIX_MIN else "") for lex in lexemes)


def _lexeme_statistics(cursor) -> tuple[dict[str, float], float]:
    """The planner's statistics of this schema's memory: the share of entries holding each of the
    most common lexemes, and a share for any other (below the least common listed). Kept a few minutes
    per schema: ANALYZE (autovacuum) refreshes them about as often."""
    schema = connection.schema_name
    cached = _statistics.get(schema)
    if cached and cached[0] > time.monotonic():
        return cached[1], cached[2]
    cursor.execute(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename = 'chat_memoryentry' AND attname = 'search'"
    )
    row = cursor.fetchone()
    shares, floor = {}, 0.0
    if row and row[0]:
        # the frequencies list the elements' shares, then their minimum, maximum and nulls' share
        shares = dict(zip(row[0], row[1], strict=False))
        floor = row[1][-3] / 2
    _statistics[schema] = (time.monotonic() + STATISTICS_TTL, shares, floor)
    return shares, floor


def _words(query: str) -> Words:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s)), "
            "(SELECT reltuples FROM pg_class WHERE oid = 'chat_memoryentry'::regclass)",
            [SEARCH_CONFIG, query],
        )
        lexemes, estimate = cursor.fetchone()
        lexemes = list(lexemes or [])
        if not lexemes:
            return Words(lexemes=[], frequency={}, total=0)
        if estimate is not None and estimate >= SMALL:
            shares, floor = _lexeme_statistics(cursor)
            if shares:
                frequency = {lex: round(shares.get(lex, floor) * estimate) for lex in lexemes}
                return Words(lexemes=lexemes, frequency=frequency, total=int(estimate))
        # A small memory (or one never analysed) is counted, through the GIN index, each word cut at
        # COMMON + 1.
        counts = ", ".join(
            "(SELECT count(*) FROM (SELECT 1 FROM chat_memoryentry WHERE search @@ %s::tsquery LIMIT %s) s)"
            for _ in lexemes
        )
        params = [p for lex in lexemes for p in (_quote(lex), COMMON + 1)]
        cursor.execute(f"SELECT {counts}, (SELECT count(*) FROM chat_memoryentry)", params)  # noqa: S608
        row = cursor.fetchone()
    return Words(lexemes=lexemes, frequency=dict(zip(lexemes, row[:-1], strict=True)), total=row[-1])


@dataclass
class TextQuery:
    """SQL (with its params) for the tsquery entries must match and for their rank."""

    match: tuple[str, list]
    rank: tuple[str, list]
    words: Words | None  # None for search syntax


def _text_query(query: str) -> TextQuery | None:
    """None when the query has no searchable word.

    A question's rank is Σ idf(word) × ts_rank_cd(weights, entry, word, 32) over its words: each word
    counts by its rarity in this memory (BM25's idea: "car" is in every entry of a car shipper's FAQ,
    "edmonton" in one) and by where it is (title, text, tags), saturating with repetition (32: r/(r+1))."""
    if _SYNTAX.search(query):
        tsquery = ("websearch_to_tsquery(%s::regconfig, %s)", [SEARCH_CONFIG, query])
        rank = (f"ts_rank_cd(%s::float4[], chat_memoryentry.search, {tsquery[0]})", [WEIGHTS, *tsquery[1]])
        return TextQuery(match=tsquery, rank=rank, words=None)
    words = _words(query)
    if not words.lexemes:
        return None
    # A word found only as the start of a longer one (cover → coverage) counts a third as much.
    terms = " + ".join(
        "%s * (ts_rank_cd(%s::float4[], chat_memoryentry.search, %s::tsquery, 32)"
        " + 0.5 * ts_rank_cd(%s::float4[], chat_memoryentry.search, %s::tsquery, 32))"
        for _ in words.lexemes
    )
    params = [
        p for lex in words.lexemes for p in (words.idf(lex), WEIGHTS, _quote(lex), WEIGHTS, _or_query([lex]))
    ]
    return TextQuery(match=("%s::tsquery", [_or_query(words.selective())]), rank=(terms, params), words=words)


# --- the owner's search ---------------------------------------------------------------------------


def memory_search_queryset(
    *, query: str, source: str | None = None, private: bool = False
) -> QuerySet[MemoryEntry]:
    """Entries matching `query` by text, best first, each with `rank` (ts_rank_cd over the weighted
    vector: a match in the title counts most, then the text, then a tag). For the paginated page and
    API; the assistant uses memory_search."""
    built = _text_query(query)
    if built is None:
        return MemoryEntry.objects.none()
    (match, match_params), (rank, rank_params) = built.match, built.rank
    return (
        memory_list(source=source, private=private)
        # The SQL is the module's own text; every value the query brings is a parameter.
        .alias(hit=RawSQL(f"chat_memoryentry.search @@ {match}", match_params, output_field=BooleanField()))  # noqa: S611
        .filter(hit=True)
        .annotate(rank=RawSQL(rank, rank_params, output_field=FloatField()))  # noqa: S611
        .order_by("-rank", "-updated", "-pk")
    )


# --- the assistant's search -----------------------------------------------------------------------


def _text_ranking(built: TextQuery, sources: list[str] | None, limit: int) -> list[int]:
    (match, match_params), (rank, rank_params) = built.match, built.rank
    where, where_params = ("AND source = ANY(%s)", [sources]) if sources is not None else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id FROM (
                SELECT id, search, updated FROM (
                    SELECT id, search, updated FROM chat_memoryentry
                    WHERE search @@ {match} {where} LIMIT %s
                ) matched
                ORDER BY ts_rank_cd(%s::float4[], search, {match}) DESC LIMIT %s
            ) chat_memoryentry
            ORDER BY {rank} DESC, updated DESC, id DESC
            LIMIT %s
            """,  # noqa: S608 (the SQL is this module's own; every value is a parameter)
            [
                *match_params,
                *where_params,
                MATCHED,
                WEIGHTS,
                *match_params,
                max(PRERANKED, limit),
                *rank_params,
                limit,
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def _vector_ranking(query: str, sources: list[str] | None, limit: int) -> dict[int, float]:
    """The entries nearest the query's vector: {id: cosine similarity}, nearest first; empty when
    embeddings are off or the provider fails (the search is then text alone)."""
    backend = embedder()
    if backend is None:
        return {}
    try:
        [vector] = backend.embed([query], timeout=QUERY_TIMEOUT)
    except EmbeddingUnavailable as exc:
        logger.warning("Memory search without embeddings: %s", exc)
        return {}
    if not any(vector):
        return {}
    entries = MemoryEntry.objects.filter(embedding_model=embedding_model(), embedding__isnull=False)
    if sources is not None:
        entries = entries.filter(source__in=sources)
    nearest = entries.annotate(distance=CosineDistance("embedding", vector)).order_by("distance")
    with transaction.atomic(), connection.cursor() as cursor:
        # The HNSW scan returns at most ef_search rows (40 by default): enough for `limit`.
        cursor.execute(f"SET LOCAL hnsw.ef_search = {max(2 * int(limit), 40)}")
        return {pk: 1 - distance for pk, distance in nearest.values_list("pk", "distance")[:limit]}


def rrf(rankings: list[list[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each id scores Σ 1 / (k + rank) over the rankings it is in (rank from
    1); best first, ties in the order of the first ranking, then the next."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + 1 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])  # sorted() is stable: ties keep order


def _coverage(words: Words, lexemes: list[str]) -> float:
    """The share of the question's words in an entry, each weighted by its rarity in this memory."""
    have = set(lexemes)
    total = sum(words.idf(lex) for lex in words.lexemes)
    found = sum(
        words.idf(lex)
        for lex in words.lexemes
        if lex in have or (len(lex) >= PREFIX_MIN and any(other.startswith(lex) for other in have))
    )
    return found / total if total else 0.0


def memory_search(
    *, query: str, limit: int = 10, sources: Iterable[str] | None = None, private: bool = False
) -> list[tuple[MemoryEntry, float]]:
    """The entries that best answer `query` (a visitor's question, or search syntax), best first, as
    (entry, score); only entries of `sources` (MemoryEntry.Source values) if given.

    `score` is the reciprocal-rank-fusion score Σ 1/(60 + rank) over the text ranking and (with
    embeddings on) the vector ranking: it orders one result list and is at most 2/61 (first in both).
    It is not comparable across queries; to judge whether an entry answers the question, each entry
    also carries `confidence` (0–1: the share of the question's words it holds, weighted by their
    rarity in this memory; 0 for a search-syntax query) and `similarity` (cosine to the question's
    vector, None when not among the vector candidates). memory_best_match applies the threshold.
    Private sources (PRIVATE_SOURCES: agents' checkpoints) are searched only with `private`.
    """
    sources = _clean_sources(sources)
    if not private:
        sources = [
            s for s in (MemoryEntry.Source.values if sources is None else sources) if s not in PRIVATE_SOURCES
        ]
    query = (query or "").replace("\x00", " ").strip()
    if not query:
        return []
    depth = max(CANDIDATES, limit)
    built = _text_query(query)
    text = _text_ranking(built, sources, depth) if built else []
    words = built.words if built else None
    syntax = built is not None and words is None
    similar = {} if syntax else _vector_ranking(query, sources, depth)
    fused = rrf([text, list(similar)])[:limit]
    entries = MemoryEntry.objects.annotate(
        lexemes=RawSQL("tsvector_to_array(chat_memoryentry.search)", [])
    ).in_bulk([pk for pk, _score in fused])
    results = []
    for pk, score in fused:
        entry = entries[pk]
        entry.confidence = _coverage(words, entry.lexemes or []) if words else 0.0
        entry.similarity = similar.get(pk)
        results.append((entry, score))
    return results


def memory_best_match(
    *, question: str, sources: Iterable[str] | None = None
) -> tuple[MemoryEntry, float] | None:
    """The entry to quote as the answer to `question`, with its confidence (0–1, see memory_search),
    or None when no good entry holds CONFIDENT of the question's words (weighted by rarity): then the
    memory doesn't answer the question and the caller should not quote it. Of the BEST_OF best ranked
    entries, the one holding most of the question's words is chosen."""
    results = memory_search(query=question, limit=BEST_OF, sources=sources)
    if not results:
        return None
    # max() keeps the first of equals: the better ranked of two entries holding as many of the words
    entry, _score = max(results, key=lambda result: result[0].confidence)
    return (entry, entry.confidence) if entry.confidence >= CONFIDENT else None
