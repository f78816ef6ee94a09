"""Forms of the owner pages and the staff admin (validation at the edge; services do the rest)."""

from django import forms

from contracts.api import INPUT_FIELDS
from contracts.models import Contract
from contracts.validators import validate_contract_fields
from tenants.validators import normalize_phone


class ContractForm(forms.ModelForm):
    send_now = forms.BooleanField(
        required=False, initial=True, label="Send it to the customer now (SMS and/or email)"
    )

    class Meta:
        model = Contract
        fields = INPUT_FIELDS
        widgets = {
            "pickup_from": forms.DateInput(attrs={"type": "date"}),
            "pickup_to": forms.DateInput(attrs={"type": "date"}),
            "payment_terms": forms.Textarea(attrs={"rows": 2}),
            "inclusions": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_customer_phone(self):
        phone = self.cleaned_data["customer_phone"]
        return normalize_phone(phone) if phone else phone

    def clean(self):
        cleaned = super().clean()
        validate_contract_fields(cleaned)
        return cleaned

    def contract_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in INPUT_FIELDS}


class ContractFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=100)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Contract.Status.choices])
    milestone = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Milestone")

    def __init__(self, *args, **kwargs):
        from contracts.milestones import STEPS

        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [("", "Any milestone")] + [(s.index, s.label) for s in STEPS]


class VoidForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)
