"""The agent-access page's form: parses what a browser sends; tenants.services.agent_tokens holds
the rules (known scopes, a future expiry, the rate's bounds, one live token per agent name)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as day_time
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from tenants.models import AgentToken
from tenants.services.agent_tokens import RATE_PER_MINUTE_MAX, SCOPES

NAME_MAX = AgentToken._meta.get_field("name").max_length


class AgentTokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Agent name",
        help_text="Who the agent is, e.g. “SEO agent”: it is recorded on everything the agent does.",
    )
    scopes = forms.MultipleChoiceField(
        choices=list(SCOPES.items()),  # the page shows each scope's name beside its description
        widget=forms.CheckboxSelectMultiple,
        label="What it may do",
        error_messages={"required": "Give the agent at least one scope."},
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional: the token stops working at the end of this day (your business’s time zone).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    rate_per_minute = forms.IntegerField(
        min_value=1,
        max_value=RATE_PER_MINUTE_MAX,
        label="Calls a minute",
        help_text=f"How many tool calls a minute the agent may make (at most {RATE_PER_MINUTE_MAX}).",
    )

    def __init__(self, *args, tenant, **kwargs):
        kwargs.setdefault("initial", {"rate_per_minute": settings.AGENT_TOKEN_RATE_PER_MINUTE})
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data["expires_on"]
        if day is not None and day >= date.max:  # its end, the next day's start, is past datetime's range
            raise forms.ValidationError(
                "That day is too far ahead; leave it empty instead.", code="expiry_far"
            )
        if day is not None and self.expires_at_of(day) <= datetime.now(tz=ZoneInfo("UTC")):
            raise forms.ValidationError("Choose today or a later day.", code="expiry_past")
        return day

    def expires_at_of(self, day: date) -> datetime:
        """The end of `day` in the tenant's time zone: the token works through that whole day."""
        zone = ZoneInfo(self.tenant.config.timezone)
        return datetime.combine(day + timedelta(days=1), day_time.min, tzinfo=zone)

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        return None if day is None else self.expires_at_of(day)
