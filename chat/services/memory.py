"""Writes to the business memory. Every write also rewrites the entry's search vector, in the same
transaction, so what is committed is searchable at once. With embeddings on (EMBEDDING_BACKEND), an
added entry, or one whose title or text changed, is embedded by a task after commit
(chat.tasks.memory_entry_embed → memory_embed below); a near-duplicate found then is merged."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Func, TextField, Value
from pgvector.django import CosineDistance

from chat.embeddings import embedder, embedding_model, entry_document
from chat.models import MAX_TAG, MAX_TAGS, MAX_TEXT, MAX_TITLE, SEARCH_CONFIG, Answer, MemoryEntry
from chat.selectors import PRIVATE_SOURCES
from inkwell.errors import refuse_unknown_fields
from inkwell.queue import enqueue_on_commit

EDITABLE = ("title", "text", "source", "tags")
# Two entries whose vectors are at least this similar (cosine) say the same thing: the newer is merged
# into the older. Measured on OpenAI's text-embedding-3-small at 256 dimensions, rewordings of one fact
# score ~0.93-0.98 and different facts about the same topic ~0.6-0.85.
NEAR_DUPLICATE = 0.92
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form two texts are compared in: NFKC, lower case, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def text_digest(text: str, title: str = "", *, source: str = "") -> str:
    """The entry's identity: its normalised title and text (an entry without a title has the digest
    its text alone always had), so two FAQs answered "Yes." stay two entries. An entry of a private
    source (an agent's checkpoint) has its identity in a namespace of its own: an entry anyone may
    write never merges into one — which would tell its writer that the private entry exists — nor
    the other way round."""
    key = f"{normalise(title)}\n{normalise(text)}" if normalise(title) else normalise(text)
    if source in PRIVATE_SOURCES:
        key = f"{source}\n{key}"
    return hashlib.sha256(key.encode()).hexdigest()


def _clean_title(title) -> str:
    if title is None:
        return ""
    if not isinstance(title, str):
        raise ValidationError({"title": ValidationError("The title is text.", code="invalid")})
    title = _SPACE.sub(" ", title).strip()
    if len(title) > MAX_TITLE:
        raise ValidationError(
            {
                "title": ValidationError(
                    f"At most {MAX_TITLE} characters (this has {len(title)}).", code="max_length"
                )
            }
        )
    if any(unicodedata.category(ch) == "Cc" for ch in title):
        raise ValidationError(
            {"title": ValidationError("The title can't hold control characters.", code="invalid")}
        )
    return title


def _clean_text(text) -> str:
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError(
            {"text": ValidationError("Write what the business should remember.", code="required")}
        )
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {
                "text": ValidationError(
                    f"At most {MAX_TEXT} characters (this has {len(text)}).", code="max_length"
                )
            }
        )
    if "\x00" in text:
        raise ValidationError(
            {"text": ValidationError("The text can't hold a NUL character.", code="invalid")}
        )
    if not normalise(text):
        raise ValidationError({"text": ValidationError("The text needs some words.", code="required")})
    return text


def _clean_source(source) -> str:
    if source not in MemoryEntry.Source.values:
        raise ValidationError({"source": ValidationError("Unknown source.", code="invalid_choice")})
    return source


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, list | tuple | set | frozenset):
        raise ValidationError({"tags": ValidationError("Tags are a list of words.", code="invalid")})
    cleaned = []
    for tag in tags:
        tag = _SPACE.sub(" ", tag).strip().lower() if isinstance(tag, str) else None
        if not tag or "\x00" in tag:
            raise ValidationError({"tags": ValidationError("A tag can't be empty.", code="invalid")})
        if len(tag) > MAX_TAG:
            raise ValidationError(
                {"tags": ValidationError(f"A tag has at most {MAX_TAG} characters.", code="max_length")}
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": ValidationError(f"At most {MAX_TAGS} tags.", code="max_length")})
    return cleaned


def _reindex(pk: int) -> None:
    tags = Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField())
    MemoryEntry.objects.filter(pk=pk).update(
        search=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("text", weight="B", config=SEARCH_CONFIG)
        + SearchVector(tags, weight="C", config=SEARCH_CONFIG)
    )


def _document(entry: MemoryEntry) -> str:
    return entry_document(title=entry.title, text=entry.text, tags=entry.tags)


def _embed_again(entry: MemoryEntry) -> list[str]:
    """The entry's words changed: drop its vector (it is found by text meanwhile) and, with
    embeddings on, have it embedded after commit. Returns the fields to save."""
    entry.embedding, entry.embedding_model = None, ""
    if embedding_model():
        from chat.tasks import memory_entry_embed

        enqueue_on_commit(memory_entry_embed, entry_id=entry.pk)
    return ["embedding", "embedding_model"]


def _merge(entry: MemoryEntry, tags: list[str]) -> MemoryEntry:
    merged = _clean_tags([*entry.tags, *tags])  # the union: still at most MAX_TAGS
    fields = ["tags", "updated"]
    if merged != entry.tags:
        entry.tags = merged
        fields += _embed_again(entry)
    entry.save(update_fields=fields)
    return entry


def memory_add(*, text, source, tags=(), title="", actor_label: str = "") -> tuple[MemoryEntry, bool]:
    """Remember `text` (under `title`, an FAQ's question, if given); returns (entry, created). The same
    title and text (by their normalised form) merge into the existing entry: tags are united and the
    entry is touched — never into an agent's checkpoint, nor a checkpoint into another entry (see
    text_digest). Two concurrent adds of the same fact leave one entry (the unique digest decides;
    the loser merges into the winner's). With embeddings on, a new entry (or one given new tags) is
    embedded after commit; it is searchable by text at once."""
    text, source, tags = _clean_text(text), _clean_source(source), _clean_tags(tags)
    title = _clean_title(title)
    digest = text_digest(text, title, source=source)
    with transaction.atomic():
        entry = MemoryEntry.objects.select_for_update().filter(digest=digest).first()
        created = False
        if entry is None:
            try:
                with transaction.atomic():  # a savepoint: losing the race must not spoil the outer one
                    entry = MemoryEntry.objects.create(
                        title=title,
                        text=text,
                        source=source,
                        tags=tags,
                        author_label=actor_label[:200],
                        digest=digest,
                    )
                    created = True
            except IntegrityError:
                entry = MemoryEntry.objects.select_for_update().get(digest=digest)
        if created:
            _embed_again(entry)
        else:
            entry = _merge(entry, tags)
        _reindex(entry.pk)
    return entry, created


def memory_update(*, entry: MemoryEntry, data: dict) -> MemoryEntry:
    """Change an entry's title, text, source or tags. A title and text the same as another entry's are
    refused (a field error under `text`), so two entries never say the same thing. New words (title,
    text or tags) drop the entry's vector (it is found by text meanwhile) and have it embedded again."""
    refuse_unknown_fields(data, EDITABLE)
    before = _document(entry)
    fields = []
    if "title" in data:
        entry.title = _clean_title(data["title"])
        fields.append("title")
    if "text" in data:
        entry.text = _clean_text(data["text"])
        fields.append("text")
    if "source" in data:
        entry.source = _clean_source(data["source"])
        fields.append("source")
    if "tags" in data:
        entry.tags = _clean_tags(data["tags"])
        fields.append("tags")
    if not fields:
        return entry
    digest = text_digest(entry.text, entry.title, source=entry.source)
    with transaction.atomic():
        if digest != entry.digest:
            if MemoryEntry.objects.filter(digest=digest).exclude(pk=entry.pk).exists():
                raise ValidationError(
                    {"text": ValidationError("Another entry already says this.", code="duplicate")}
                )
            entry.digest = digest
            fields.append("digest")
        if _document(entry) != before:
            fields += _embed_again(entry)
        try:
            with transaction.atomic():
                entry.save(update_fields=[*fields, "updated"])
        except IntegrityError:  # the same text written by someone else meanwhile
            raise ValidationError(
                {"text": ValidationError("Another entry already says this.", code="duplicate")}
            ) from None
        _reindex(entry.pk)
    return entry


def memory_delete(*, entry: MemoryEntry) -> None:
    entry.delete()


# --- embeddings ------------------------------------------------------------------------------------


def memory_embed(*, entry_id: int) -> str:
    """Embed one entry (the task's work). Returns what happened: "embedded", "merged" (it was a
    near-duplicate, see memory_embedding_store), "current" (already embedded by this model: a
    redelivered task does nothing), "stale" (the entry changed meanwhile: its own task embeds the new
    words), "gone" or "off". Raises EmbeddingUnavailable when the provider fails (the task retries)."""
    backend, model = embedder(), embedding_model()
    if backend is None:
        return "off"
    entry = MemoryEntry.objects.filter(pk=entry_id).only("title", "text", "tags", "embedding_model").first()
    if entry is None:
        return "gone"
    if entry.embedding_model == model:
        return "current"
    # The provider is called outside any transaction: no row is locked while it thinks.
    document = _document(entry)
    [vector] = backend.embed([document])
    return memory_embedding_store(entry_id=entry.pk, document=document, vector=vector, model=model)


@transaction.atomic
def memory_embedding_store(*, entry_id: int, document: str, vector: list[float], model: str) -> str:
    """Store the vector `model` made of `document` for the entry, if the entry still reads so (else
    "stale": a newer task embeds its new words). Then, in the same transaction, the entry's nearest
    neighbour by the same model at cosine similarity ≥ NEAR_DUPLICATE is a near-duplicate: the newer
    of the two is merged into the older ("merged"); otherwise "embedded". Entries of private sources
    (agents' checkpoints) are neither merged nor merged into."""
    entry = MemoryEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        return "gone"
    if _document(entry) != document:
        return "stale"
    if not any(vector):  # nothing to compare (a text of stop words alone, to the hash embedder)
        MemoryEntry.objects.filter(pk=entry_id).update(embedding=None, embedding_model=model)
        return "embedded"
    MemoryEntry.objects.filter(pk=entry_id).update(embedding=vector, embedding_model=model)
    if entry.source in PRIVATE_SOURCES:
        return "embedded"  # an agent's checkpoint is one version of its state: never merged
    nearest = (
        MemoryEntry.objects.filter(embedding_model=model, embedding__isnull=False)
        .exclude(source__in=PRIVATE_SOURCES)  # nor is anything merged into one (owners-only)
        .exclude(pk=entry_id)
        .annotate(distance=CosineDistance("embedding", vector))
        .order_by("distance")
        .values_list("pk", "distance")
        .first()
    )
    if nearest is None or 1 - nearest[1] < NEAR_DUPLICATE:
        return "embedded"
    _merge_near_duplicates(entry_id, nearest[0])
    return "merged"


def _merge_near_duplicates(first: int, second: int) -> None:
    """The newer entry goes into the older: the older's title and text stay, the tags are united
    (at most MAX_TAGS, the older's first), answers that pointed at the newer point at the older. The
    caller's transaction holds it all."""
    rows = list(MemoryEntry.objects.select_for_update().filter(pk__in=(first, second)).order_by("pk"))
    if len(rows) != 2:  # deleted meanwhile
        return
    keep, drop = sorted(rows, key=lambda entry: (entry.created, entry.pk))
    tags = list(dict.fromkeys([*keep.tags, *drop.tags]))[:MAX_TAGS]
    fields = ["tags", "updated"]
    if tags != keep.tags:  # its vector no longer reads like it: embedded again
        keep.tags = tags
        fields += _embed_again(keep)
    keep.save(update_fields=fields)
    Answer.objects.filter(memory_entry=drop).update(memory_entry=keep)
    drop.delete()
    _reindex(keep.pk)
