"""The dashboard's date range: a preset (last 7, 28 or 90 days, 12 months) or custom dates, and
whether to compare with the period before. It lives in the URL (`?range=28d&compare=1`), so back,
forward and a shared link show the same thing.

Bad input never breaks a page: the form says what is wrong and the default range is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django import forms

from marketing.api_metrics import EARLIEST, MAX_RANGE_DAYS
from marketing.metrics import Period
from marketing.services.ingestion import tenant_local_today

PRESETS = {
    "7d": ("Last 7 days", 7),
    "28d": ("Last 28 days", 28),
    "90d": ("Last 90 days", 90),
    "12m": ("Last 12 months", 365),
}
CUSTOM = "custom"
DEFAULT = "28d"
# Pages about records rather than daily figures (the leads) may offer every day there is; it is
# their default, since a record that is still open must not vanish because it is old.
ALL = "all"
ALL_LABEL = "All time"


class RangeForm(forms.Form):
    range = forms.ChoiceField(
        label="Period",
        choices=[*((key, label) for key, (label, _) in PRESETS.items()), (CUSTOM, "Custom dates")],
        required=False,
    )
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, tenant, all_time: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = tenant_local_today(tenant)
        if all_time:
            self.fields["range"].choices = [(ALL, ALL_LABEL), *self.fields["range"].choices]

    def clean(self):
        data = super().clean()
        if data.get("range") != CUSTOM:
            return data
        start, end = data.get("start"), data.get("end")
        if not start or not end:
            raise forms.ValidationError("Give both dates for a custom period.", code="range_incomplete")
        if start > end:
            self.add_error(
                "start", forms.ValidationError("The start is after the end.", code="range_reversed")
            )
        elif end > self.today:
            self.add_error(
                "end", forms.ValidationError("The end can't be later than today.", code="range_in_future")
            )
        elif start < EARLIEST:
            self.add_error(
                "start",
                forms.ValidationError(f"Start on {EARLIEST:%Y-%m-%d} or later.", code="range_too_early"),
            )
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error(
                "start",
                forms.ValidationError(f"Choose at most {MAX_RANGE_DAYS} days.", code="range_too_long"),
            )
        return data


@dataclass(frozen=True)
class DashboardRange:
    key: str  # a PRESETS key, CUSTOM, or ALL (then period is None: no limit)
    period: Period | None
    compare: bool
    form: RangeForm
    comparable: bool = True  # whether the picker offers "compare to previous period"
    fallback: str = PRESETS[DEFAULT][0]  # what is shown when the range asked for is invalid

    @property
    def previous(self) -> Period | None:
        return self.period.before() if self.period else None

    @property
    def label(self) -> str:
        if self.key == ALL:
            return ALL_LABEL
        if self.key in PRESETS:
            return PRESETS[self.key][0]
        return f"{self.period.start:%b %-d, %Y} – {self.period.end:%b %-d, %Y}"

    @property
    def asked(self) -> dict[str, str]:
        """What the picker shows: what was asked, when it was wrong (so it can be corrected), else the
        period shown."""
        if self.form.errors:
            return {name: self.form.data.get(name, "") for name in ("range", "start", "end")}
        if self.period is None:  # all time
            return {"range": self.key, "start": "", "end": ""}
        return {"range": self.key, "start": self.period.start.isoformat(), "end": self.period.end.isoformat()}

    def query(self) -> str:
        """The range as a query string, for links that keep it (tables, exports, the API)."""
        params = {"range": self.key}
        if self.key == CUSTOM:
            params |= {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}
        if self.comparable and not self.compare:
            params["compare"] = "0"
        return urlencode(params)


def range_from_request(request, *, all_time: bool = False) -> DashboardRange:
    """The range asked for in the URL; the default (last 28 complete days, compared) when nothing or
    something invalid was asked (the form then carries the errors to show).

    With `all_time` the picker also offers "All time", which is then the default, and no comparison
    (pages listing records, not daily figures)."""
    form = RangeForm(request.GET or None, tenant=request.tenant, all_time=all_time)
    # "compare" is a checkbox after a hidden "0": unticked sends "0", ticked sends "0" and "1".
    compare = "1" in request.GET.getlist("compare") or "compare" not in request.GET
    yesterday = form.today - timedelta(days=1)
    key = ALL if all_time else DEFAULT
    if form.is_bound and form.is_valid() and form.cleaned_data.get("range"):
        key = form.cleaned_data["range"]
    if all_time:
        fallback = ALL_LABEL
        if key == ALL:
            return DashboardRange(key, None, False, form, comparable=False, fallback=fallback)
    if key == CUSTOM:
        period = Period(form.cleaned_data["start"], form.cleaned_data["end"])
    else:
        days = PRESETS[key][1]
        period = Period(yesterday - timedelta(days=days - 1), yesterday)
    if all_time:
        return DashboardRange(key, period, False, form, comparable=False, fallback=fallback)
    return DashboardRange(key=key, period=period, compare=compare, form=form)
