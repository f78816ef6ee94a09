"""Forms of the customer's contract pages (validation at the edge; rules live in the services)."""

from django import forms

from contracts.services.signing import signature_png_from_data_url


class SignForm(forms.Form):
    signer_name = forms.CharField(label="Your full name", max_length=150)
    consent = forms.BooleanField(label="I agree", required=True)
    # The pad's drawing as a PNG data URL, filled in by sign.js; empty without JavaScript.
    signature = forms.CharField(required=False, widget=forms.HiddenInput)
    # The SHA-256 of the document this page showed; signing is refused if the contract changed since.
    document_sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def clean_signature(self) -> bytes:
        return signature_png_from_data_url(self.cleaned_data.get("signature", ""))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from the SMS",
        max_length=7,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
