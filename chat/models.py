"""Business memory: what the business knows about itself (answers from questionnaires, FAQs, notes,
things said in chat or learned by the agent), one row per fact, in the tenant's own schema.

Search is PostgreSQL full-text over `search`, a weighted tsvector (the text weight A, the tags weight
B) in the 'english' configuration (tenants are English-speaking Canadian businesses for now; another
language needs its own configuration and a reindex). The vector is written by chat.services.memory in
the same transaction as the entry, so an entry is searchable as soon as it is committed. (A stored
generated column can't hold the tags: array_to_string is not immutable in PostgreSQL.)

`digest` is the sha256 of the normalised text (lower case, punctuation dropped, whitespace collapsed):
unique per schema, so two writes of the same fact merge into one entry even when they race.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models

MAX_TEXT = 4000
MAX_TAGS = 20
MAX_TAG = 40
SEARCH_CONFIG = "english"


class MemoryEntry(models.Model):
    class Source(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        FAQ = "faq", "FAQ"
        NOTE = "note", "Note"
        CHAT = "chat", "Chat"
        AGENT = "agent", "Agent"

    text = models.TextField(max_length=MAX_TEXT)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NOTE)
    tags = ArrayField(models.CharField(max_length=MAX_TAG), default=list, blank=True, size=MAX_TAGS)
    author_label = models.CharField(
        max_length=200, blank=True, help_text="Who wrote it (a person, a key, the agent)."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    search = SearchVectorField(null=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-pk"]
        indexes = [GinIndex(fields=["search"], name="chat_memory_search_gin")]

    def __str__(self):
        return self.text[:60]
