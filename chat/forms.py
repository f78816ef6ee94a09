"""The memory page's form: parses what a browser sends; chat.services.memory holds the rules."""

from __future__ import annotations

from django import forms

from chat.models import MAX_TEXT, MAX_TITLE, MemoryEntry

# Agents' checkpoints are filed by checkpoint_save alone: nobody adds an entry as one (an owner
# editing a checkpoint's entry keeps its source).
PRIVATE = MemoryEntry.Source.CHECKPOINT
WRITABLE = [(value, label) for value, label in MemoryEntry.Source.choices if value != PRIVATE]


class MemoryEntryForm(forms.Form):
    title = forms.CharField(
        required=False,
        max_length=MAX_TITLE,
        label="Question",
        help_text="Optional: the question this answers, as a customer would ask it.",
    )
    text = forms.CharField(max_length=MAX_TEXT, label="Text", widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(choices=WRITABLE, initial=MemoryEntry.Source.NOTE)
    tags = forms.CharField(required=False, max_length=2000, help_text="Separated by commas.")

    @classmethod
    def for_entry(cls, entry: MemoryEntry, **kwargs) -> MemoryEntryForm:
        initial = {
            "title": entry.title,
            "text": entry.text,
            "source": entry.source,
            "tags": ", ".join(entry.tags),
        }
        form = cls(initial=initial, prefix=f"m{entry.pk}", **kwargs)
        if entry.source == PRIVATE:
            form.fields["source"].choices = [*WRITABLE, (PRIVATE, PRIVATE.label)]
        return form

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
