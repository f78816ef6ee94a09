"""Forms of the campaigns page and the seasonal calendar: they parse what a browser sends; the
services (marketing/services/campaigns.py, calendar.py) hold the rules and say what is wrong."""

from __future__ import annotations

import calendar

from django import forms

from marketing.models import Campaign

MONTHS = [(m, calendar.month_name[m]) for m in range(1, 13)]


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=255)
    # Google Ads campaigns come from Ads itself; by hand, everything else.
    channel = forms.ChoiceField(
        choices=[c for c in Campaign.Channel.choices if c[0] != Campaign.Channel.GOOGLE_ADS],
        initial=Campaign.Channel.OTHER,
    )
    budget = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_campaign(cls, campaign: Campaign, **kwargs) -> CampaignForm:
        initial = {name: getattr(campaign, name) for name in cls.base_fields}
        return cls(initial=initial, prefix=f"c{campaign.pk}", **kwargs)


class SeasonalEventForm(forms.Form):
    name = forms.CharField(max_length=120)
    start_month = forms.TypedChoiceField(label="Starts (month)", choices=MONTHS, coerce=int)
    start_day = forms.IntegerField(label="Starts (day)", min_value=1, max_value=31)
    end_month = forms.TypedChoiceField(label="Ends (month)", choices=MONTHS, coerce=int)
    end_day = forms.IntegerField(label="Ends (day)", min_value=1, max_value=31)
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    @classmethod
    def for_event(cls, event, **kwargs) -> SeasonalEventForm:
        initial = {name: getattr(event, name) for name in cls.base_fields}
        return cls(initial=initial, prefix=f"e{event.pk}", **kwargs)
