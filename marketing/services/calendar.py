"""The seasonal calendar's events: the recurring seasons and dates of a business's year, written by
owners and their team from the dashboard or the API (marketing.seasons reads them)."""

from __future__ import annotations

import calendar

from django.core.exceptions import ValidationError
from django.db import transaction

from marketing.error_codes import MarketingErrorCode
from marketing.models import SeasonalEvent

EDITABLE_FIELDS = ("name", "start_month", "start_day", "end_month", "end_day", "notes")
LEAP_YEAR = 2024  # events repeat every year: 29 February is a day of February


def seasonal_event_dates_validate(event: SeasonalEvent) -> None:
    """Each bound must be a day of the year: a month 1–12 and a day that month has (31 April is
    not). One error per field at fault."""
    errors = {}
    for side in ("start", "end"):
        month, day = getattr(event, f"{side}_month"), getattr(event, f"{side}_day")
        if month is None or not 1 <= month <= 12:
            errors[f"{side}_month"] = ValidationError("Give a month from 1 to 12.", code="invalid_month")
            continue
        last = calendar.monthrange(LEAP_YEAR, month)[1]
        if day is None or not 1 <= day <= last:
            errors[f"{side}_day"] = ValidationError(
                f"{calendar.month_name[month]} has days 1 to {last}.",
                code=MarketingErrorCode.DAY_NOT_IN_MONTH,
            )
    if errors:
        raise ValidationError(errors)


def _apply(event: SeasonalEvent, data: dict) -> None:
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: "This field can't be set." for name in unknown})
    for name, value in data.items():
        setattr(event, name, value)
    errors: dict = {}
    try:
        seasonal_event_dates_validate(event)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        event.full_clean(exclude=list(errors))  # the fields above once, with the clearer message
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def seasonal_event_create(*, data: dict) -> SeasonalEvent:
    """A new event from `data` (fields of EDITABLE_FIELDS; an end before the start wraps over New
    Year). Raises ValidationError naming each bad field (a name already used is one)."""
    event = SeasonalEvent()
    _apply(event, data)
    event.save()
    return event


@transaction.atomic
def seasonal_event_update(*, event: SeasonalEvent, data: dict) -> SeasonalEvent:
    """Change any of EDITABLE_FIELDS of `event`. Raises ValidationError naming each bad field."""
    event = SeasonalEvent.objects.select_for_update().get(pk=event.pk)
    _apply(event, data)
    event.save()
    return event


@transaction.atomic
def seasonal_event_delete(*, event: SeasonalEvent) -> SeasonalEvent:
    """Delete `event`; returns it as it was (without a primary key)."""
    event = SeasonalEvent.objects.select_for_update().get(pk=event.pk)
    event.delete()
    return event
