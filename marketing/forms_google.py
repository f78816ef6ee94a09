"""Forms of the Google connection: the owner's connector settings and staff's service-account key."""

import json
import re

from django import forms
from django.core.exceptions import ValidationError

from marketing.services.google_connect import SITE_URL

GOOGLE_ADS_ID = re.compile(r"^\d{3}-?\d{3}-?\d{4}$")


class GoogleSettingsForm(forms.Form):
    gsc_site_url = forms.CharField(
        label="Search Console property",
        max_length=300,
        required=False,
        help_text="As Search Console names it: “sc-domain:example.com” or “https://www.example.com/”.",
    )
    ga4_property_id = forms.CharField(
        label="Google Analytics 4 property id",
        max_length=40,
        required=False,
        help_text="The number in GA4 under Admin → Property details, e.g. 318472650.",
    )
    ads_customer_id = forms.CharField(
        label="Google Ads customer id", max_length=12, required=False, help_text="e.g. 123-456-7890."
    )
    ads_login_customer_id = forms.CharField(
        label="Google Ads manager account id",
        max_length=12,
        required=False,
        help_text="Only if you reach the account through a manager account.",
    )

    def clean_gsc_site_url(self):
        value = self.cleaned_data["gsc_site_url"].strip()
        if value and not SITE_URL.match(value):
            raise ValidationError(
                "Enter the property as Search Console shows it: sc-domain:example.com, or a URL ending in “/”.",
                code="invalid_site_url",
            )
        return value

    def clean_ga4_property_id(self):
        value = self.cleaned_data["ga4_property_id"].strip().removeprefix("properties/")
        if value and not value.isdigit():
            raise ValidationError(
                "A GA4 property id is a number, e.g. 318472650.", code="invalid_property_id"
            )
        return value

    def _ads_id(self, name):
        value = self.cleaned_data[name].strip()
        if value and not GOOGLE_ADS_ID.match(value):
            raise ValidationError(
                "A Google Ads id has 10 digits, e.g. 123-456-7890.", code="invalid_customer_id"
            )
        return value.replace("-", "")

    def clean_ads_customer_id(self):
        return self._ads_id("ads_customer_id")

    def clean_ads_login_customer_id(self):
        return self._ads_id("ads_login_customer_id")


SERVICE_ACCOUNT_FIELDS = ("type", "project_id", "private_key", "client_email", "token_uri")


class ServiceAccountKeyForm(forms.Form):
    """Staff paste a service account's JSON key for a tenant; it is stored encrypted and never shown."""

    connector = forms.ChoiceField(
        choices=[
            ("google", "All Google connectors"),
            ("gsc", "Search Console only"),
            ("ga4", "Google Analytics 4 only"),
            ("ads", "Google Ads only"),
        ]
    )
    key_json = forms.CharField(
        label="Service-account key (JSON)",
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
        max_length=20_000,
        help_text="The JSON file Google Cloud gives for a service-account key. It is stored encrypted and never shown again.",
    )

    def clean_key_json(self):
        try:
            info = json.loads(self.cleaned_data["key_json"])
        except ValueError as exc:
            raise ValidationError("This is not JSON.", code="invalid_json") from exc
        if not isinstance(info, dict) or info.get("type") != "service_account":
            raise ValidationError("This is not a service-account key (its “type” must be “service_account”).")
        missing = [field for field in SERVICE_ACCOUNT_FIELDS if not info.get(field)]
        if missing:
            raise ValidationError(f"The key lacks {', '.join(missing)}.", code="incomplete_key")
        from google.oauth2 import service_account

        try:
            service_account.Credentials.from_service_account_info(info)
        except ValueError as exc:
            raise ValidationError(f"Google's library can't use this key: {exc}", code="unusable_key") from exc
        return info
