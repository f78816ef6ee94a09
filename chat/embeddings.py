"""Text embeddings for the business memory, behind EMBEDDING_BACKEND:

- "openai": OpenAI's embeddings endpoint through the official SDK (EMBEDDING_MODEL, shortened to
  EMBEDDING_DIMENSIONS on request; key OPENAI_API_KEY);
- "hash": a local, deterministic embedder (hashed word and character-trigram features): no
  network, no model; texts sharing words score similar. Tests, the bench and demos use it;
- "" (the default): no embeddings, the memory is searched by text alone.

A provider that fails (timeout, 5xx, 429, a refused key) raises EmbeddingUnavailable: the embedding
task retries later, a search falls back to text.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from typing import Protocol

from django.conf import settings

from chat.models import EMBEDDING_DIMENSIONS

# Seconds one embeddings call may take: the task's, and a search's (a visitor waits for that one; past
# it, the search goes on by text alone).
EMBEDDING_TIMEOUT = 10.0
QUERY_TIMEOUT = 3.0
HASH_MODEL = "hash-v1"


class EmbeddingUnavailable(Exception):
    """The provider could not embed now (timeout, 5xx, 429, refused key)."""


class Embedder(Protocol):
    model: str

    def embed(self, texts: list[str], *, timeout: float | None = None) -> list[list[float]]: ...


# --- the hash embedder ---------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
# Words that say nothing about a business fact; without them, "how do I ship my car" and "shipping a
# car" share most of their features.
_STOP_WORDS = """a about above after again all am an and any are as at be been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not now of off on
    once only or other our ours out over own same she should so some such than that the their them then
    there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours"""
_STOP = frozenset(_STOP_WORDS.split())
_SUFFIXES = ("ing", "ies", "ed", "es", "s")


def _stem(word: str) -> str:
    """A crude stem (shipping → shipp, cars → car): enough for hashed features to meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return [_stem(w) for w in _WORD.findall(text) if w not in _STOP]


@functools.lru_cache(maxsize=50_000)
def _word_features(word: str, dimensions: int) -> tuple[tuple[int, float], ...]:
    """Where one word lands: its own feature (weight 1) and its character trigrams (0.5 each), so
    "vancouver's" and "vancouver" stay close. Word pairs were tried too: on the demo FAQ's labelled
    questions they made recall worse."""
    padded = f"<{word}>"
    features = [("w:" + word, 1.0)] + [("t:" + padded[i : i + 3], 0.5) for i in range(len(padded) - 2)]
    placed = []
    for feature, weight in features:
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        placed.append((index, weight if digest[4] & 1 else -weight))
    return tuple(placed)


def hash_embed(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """Signed feature hashing into `dimensions`, L2-normalised (all zeros for a text without words)."""
    vector = [0.0] * dimensions
    for word in _words(text):
        for index, value in _word_features(word, dimensions):
            vector[index] += value
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm else vector


class HashEmbedder:
    model = HASH_MODEL

    def embed(self, texts: list[str], *, timeout: float | None = None) -> list[list[float]]:
        return [hash_embed(text) for text in texts]


# --- OpenAI --------------------------------------------------------------------------------------


class OpenAiEmbedder:
    def __init__(self, *, api_key: str, model: str, timeout: float = EMBEDDING_TIMEOUT):
        import httpx
        from openai import OpenAI

        self.model = model
        # The SDK's own retries would hold a visitor's search for seconds: a search falls back to text
        # at once and the task retries on Celery's schedule. The client is httpx's (the SDK accepts it),
        # the one the rest of the project and its recorded tests speak.
        self._client = OpenAI(
            api_key=api_key, max_retries=0, timeout=timeout, http_client=httpx.Client(timeout=timeout)
        )

    def embed(self, texts: list[str], *, timeout: float | None = None) -> list[list[float]]:
        import openai

        try:
            response = self._client.embeddings.create(
                model=self.model,
                input=texts,
                dimensions=EMBEDDING_DIMENSIONS,
                encoding_format="float",
                timeout=timeout or EMBEDDING_TIMEOUT,
            )
        except openai.OpenAIError as exc:  # timeouts, connection errors, 4xx/5xx answers
            raise EmbeddingUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
        vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        if len(vectors) != len(texts) or any(len(v) != EMBEDDING_DIMENSIONS for v in vectors):
            raise EmbeddingUnavailable("The provider answered with vectors of the wrong shape.")
        return vectors


def embedder() -> Embedder | None:
    """The configured embedder, or None when embeddings are off."""
    backend = settings.EMBEDDING_BACKEND
    if backend == "hash":
        return HashEmbedder()
    if backend == "openai":
        if not settings.OPENAI_API_KEY:
            return None
        return _openai_embedder(settings.OPENAI_API_KEY, settings.EMBEDDING_MODEL)
    return None


@functools.lru_cache(maxsize=4)
def _openai_embedder(api_key: str, model: str) -> OpenAiEmbedder:
    # One client per process (and key): its connections are kept alive between searches.
    return OpenAiEmbedder(api_key=api_key, model=model)


def embedding_model() -> str:
    """The name stored with each vector ("" when embeddings are off): vectors of another model are
    neither compared nor trusted to be current."""
    backend = settings.EMBEDDING_BACKEND
    if backend == "hash":
        return HASH_MODEL
    if backend == "openai" and settings.OPENAI_API_KEY:
        return settings.EMBEDDING_MODEL
    return ""


def entry_document(*, title: str, text: str, tags=()) -> str:
    """What an entry's vector stands for: its question (if any), its answer and its tags (the words
    visitors use that the answer doesn't)."""
    return "\n".join(part for part in (title, text, ", ".join(tags)) if part)
