"""Writes to the business memory. Every write also rewrites the entry's search vector, in the same
transaction, so what is committed is searchable at once."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Func, TextField, Value

from chat.models import MAX_TAG, MAX_TAGS, MAX_TEXT, MAX_TITLE, SEARCH_CONFIG, MemoryEntry
from inkwell.errors import refuse_unknown_fields

EDITABLE = ("text", "source", "tags")
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form two texts are compared in: NFKC, lower case, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", text)).strip()


def text_digest(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


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
        search=SearchVector("text", weight="A", config=SEARCH_CONFIG)
        + SearchVector(tags, weight="B", config=SEARCH_CONFIG)
    )


def _merge(entry: MemoryEntry, tags: list[str]) -> MemoryEntry:
    merged = _clean_tags([*entry.tags, *tags])  # the union: still at most MAX_TAGS
    entry.tags = merged
    entry.save(update_fields=["tags", "updated"])
    return entry


def memory_add(*, text, source, tags=(), title="", actor_label: str = "") -> tuple[MemoryEntry, bool]:
    """Remember `text`; returns (entry, created). The same text (by its normalised form) merges into
    the existing entry: tags are united and the entry is touched. Two concurrent adds of the same text
    leave one entry (the unique digest decides; the loser merges into the winner's)."""
    text, source, tags = _clean_text(text), _clean_source(source), _clean_tags(tags)
    title = " ".join((title or "").split())[:MAX_TITLE]
    digest = text_digest(f"{title}\n{text}" if title else text)
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
        if not created:
            entry = _merge(entry, tags)
        _reindex(entry.pk)
    return entry, created


def memory_update(*, entry: MemoryEntry, data: dict) -> MemoryEntry:
    """Change an entry's text, source or tags. New text that is the same as another entry's is refused
    (409-free: a field error under `text`), so two entries never say the same thing."""
    refuse_unknown_fields(data, EDITABLE)
    fields = []
    if "text" in data:
        entry.text = _clean_text(data["text"])
        entry.digest = text_digest(entry.text)
        fields += ["text", "digest"]
    if "source" in data:
        entry.source = _clean_source(data["source"])
        fields.append("source")
    if "tags" in data:
        entry.tags = _clean_tags(data["tags"])
        fields.append("tags")
    if not fields:
        return entry
    with transaction.atomic():
        if (
            "digest" in fields
            and MemoryEntry.objects.filter(digest=entry.digest).exclude(pk=entry.pk).exists()
        ):
            raise ValidationError(
                {"text": ValidationError("Another entry already says this.", code="duplicate")}
            )
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
