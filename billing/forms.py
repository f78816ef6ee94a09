from django import forms

from billing.plans import PLANS
from tenants.validators import normalize_phone, validate_no_control_characters


class SignupForm(forms.Form):
    business_name = forms.CharField(max_length=120, validators=[validate_no_control_characters])
    subdomain = forms.CharField(
        max_length=40, help_text="Your workspace's address: letters, digits and hyphens.",
        widget=forms.TextInput(attrs={
            "hx-get": "/signup/check/", "hx-trigger": "input changed delay:300ms, load",
            "hx-target": "#subdomain-check", "autocomplete": "off", "autocapitalize": "none",
        }),
    )  # fmt: skip
    email = forms.EmailField(label="Owner's email", max_length=254)
    phone = forms.CharField(label="Owner's mobile number", max_length=32)
    plan = forms.ChoiceField(
        choices=[(code, f"{p.name} — ${p.monthly_usd:,}/month") for code, p in PLANS.items()]
    )
    resume = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_subdomain(self):
        return self.cleaned_data["subdomain"].strip().lower()

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])
