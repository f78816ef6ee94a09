"""Forms of the owner pages and the staff admin (validation at the edge; services do the rest)."""

from django import forms

from contracts.api import INPUT_FIELDS
from contracts.error_codes import ContractErrorCode
from contracts.models import Contract, PortalSettings
from contracts.services.settings import PORTAL_FIELDS
from contracts.validators import validate_contract_fields
from tenants.validators import normalize_phone


class ContractForm(forms.ModelForm):
    send_now = forms.BooleanField(
        required=False, initial=True, label="Send it to the customer now (SMS and/or email)"
    )

    class Meta:
        model = Contract
        fields = INPUT_FIELDS
        labels = {"vehicle_vin": "Vehicle VIN", "insurance_rate": "Insurance rate (% of declared value)"}
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


class PortalSettingsForm(forms.ModelForm):
    review_url = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Review link sent a day after delivery (e.g. your Google Business Profile)",
    )
    reminder_days = forms.CharField(
        required=False,
        label="Remind unsigned customers after (days)",
        help_text="Up to three numbers, e.g. “2, 5”. Leave empty for no reminders.",
    )

    class Meta:
        model = PortalSettings
        fields = list(PORTAL_FIELDS)
        labels = {
            "link_ttl_days": "Days a customer's link stays valid for signing",
            "require_sms_code": "Ask customers for a code texted to them before they sign",
            "reference_prefix": "Contract reference prefix",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["reminder_days"] = ", ".join(str(d) for d in self.instance.reminder_days)

    def clean_reminder_days(self) -> list[int]:
        parts = [
            p.strip() for p in self.cleaned_data["reminder_days"].replace(";", ",").split(",") if p.strip()
        ]
        if not all(p.isdigit() and 1 <= int(p) <= 60 for p in parts):
            raise forms.ValidationError(
                "Use whole days between 1 and 60, separated by commas.", code="invalid"
            )
        days = sorted({int(p) for p in parts})
        if len(days) > 3:
            raise forms.ValidationError("At most three reminders.", code=ContractErrorCode.TOO_MANY_REMINDERS)
        return days

    def clean_reference_prefix(self) -> str:
        prefix = self.cleaned_data["reference_prefix"].strip().upper()
        if not (prefix.isascii() and prefix.isalnum()):
            raise forms.ValidationError("Use letters and digits only, e.g. “SC”.", code="invalid")
        return prefix


class TermsForm(forms.Form):
    title = forms.CharField(max_length=200)
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}), help_text="Markdown: ## headings, lists, **bold**."
    )
    consent_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="What the customer agrees to by signing"
    )
