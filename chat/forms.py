"""The memory page's form: parses what a browser sends; chat.services.memory holds the rules."""

from __future__ import annotations

from django import forms

from chat.models import MAX_TEXT, MAX_TITLE, MemoryEntry


class MemoryEntryForm(forms.Form):
    title = forms.CharField(
        required=False,
        max_length=MAX_TITLE,
        label="Question",
        help_text="Optional: the question this answers, as a customer would ask it.",
    )
    text = forms.CharField(max_length=MAX_TEXT, label="Text", widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(choices=MemoryEntry.Source.choices, initial=MemoryEntry.Source.NOTE)
    tags = forms.CharField(required=False, max_length=2000, help_text="Separated by commas.")

    @classmethod
    def for_entry(cls, entry: MemoryEntry, **kwargs) -> MemoryEntryForm:
        initial = {
            "title": entry.title,
            "text": entry.text,
            "source": entry.source,
            "tags": ", ".join(entry.tags),
        }
        return cls(initial=initial, prefix=f"m{entry.pk}", **kwargs)

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]
