"""The questionnaire page's forms: parse what a browser sends; chat.services.questionnaire holds the
rules (phone numbers are normalised and validated there, with tenants.validators)."""

from __future__ import annotations

from django import forms

from chat.models import MAX_TEXT, Question

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class QuestionnaireSettingsForm(forms.Form):
    phone = forms.CharField(
        label="Your mobile",
        max_length=30,
        required=False,
        help_text="The question is texted here. Leave empty to send none.",
    )
    send_hour = forms.TypedChoiceField(
        label="Send at", choices=HOURS, coerce=int, help_text="Your local time, every day."
    )
    enabled = forms.BooleanField(label="Send a question every day", required=False)


class AnswerForm(forms.Form):
    text = forms.CharField(label="Your answer", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    text = forms.CharField(label="Question", max_length=300)
    group = forms.ChoiceField(choices=Question.Group.choices)
    active = forms.BooleanField(label="Asked", required=False)

    @classmethod
    def for_question(cls, question: Question, **kwargs) -> QuestionForm:
        initial = {"text": question.text, "group": question.group, "active": question.active}
        return cls(initial=initial, prefix=f"q{question.pk}", **kwargs)
