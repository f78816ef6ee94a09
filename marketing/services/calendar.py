"""The seasonal calendar's events: recurring month/day spans an owner adds, changes and deletes.

An event ending before it starts (Dec 15 → Jan 10) wraps over New Year. February 29 is a valid day:
the event then falls on the 29th in leap years."""

from __future__ import annotations

import calendar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404

from inkwell.errors import refuse_unknown_fields
from marketing.error_codes import MarketingErrorCode
from marketing.models import SeasonalEvent

EDITABLE_FIELDS = ("name", "start_month", "start_day", "end_month", "end_day", "notes")
MONTH_DAYS = {month: calendar.monthrange(2024, month)[1] for month in range(1, 13)}  # a leap year


def _event_clean(event: SeasonalEvent) -> None:
    """Each field's own rules, then real calendar days (no April 31), then the model's constraints
    (a unique name). Raises ValidationError with field errors."""
    try:
        event.clean_fields()
    except ValidationError as exc:
        errors = exc.error_dict
    else:
        errors = {}
    for side in ("start", "end"):
        month_field, day_field = f"{side}_month", f"{side}_day"
        if month_field in errors or day_field in errors:
            continue
        month, day = getattr(event, month_field), getattr(event, day_field)
        if not 1 <= month <= 12:
            errors[month_field] = [ValidationError("Choose a month from 1 to 12.", code="event_month")]
        elif not 1 <= day <= MONTH_DAYS[month]:
            errors[day_field] = [
                ValidationError(
                    f"{calendar.month_name[month]} has {MONTH_DAYS[month]} days.",
                    code=MarketingErrorCode.DAY_NOT_IN_MONTH,
                )
            ]
    try:  # the unique name, and the database's own checks of what is not already found wrong
        event.validate_constraints(exclude=set(errors))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _event_save(event: SeasonalEvent) -> None:
    """Save; a name another request took between the check and the save (the unique index refuses
    it) is the same field error as a name taken before, not a crash."""
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        _event_clean(event)  # now finds the name taken
        raise


def seasonal_event_create(*, data: dict) -> SeasonalEvent:
    """A new event from `data` (the fields of EDITABLE_FIELDS; any other is refused). Raises
    ValidationError."""
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    event = SeasonalEvent(**{field: data[field] for field in EDITABLE_FIELDS if field in data})
    _event_clean(event)
    _event_save(event)
    return event


def seasonal_event_update(*, event: SeasonalEvent, data: dict) -> SeasonalEvent:
    """Change the fields of EDITABLE_FIELDS found in `data` (any other is refused). Raises
    ValidationError."""
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    with transaction.atomic():
        # Deleted meanwhile (another owner): nothing to change, 404.
        event = get_object_or_404(SeasonalEvent.objects.select_for_update(), pk=event.pk)
        for field in EDITABLE_FIELDS:
            if field in data:
                setattr(event, field, data[field])
        _event_clean(event)
        _event_save(event)
    return event


def seasonal_event_delete(*, event: SeasonalEvent) -> None:
    """Delete an event; the months it touched simply lose it."""
    event.delete()
