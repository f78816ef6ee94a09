"""Campaigns: the ones Google Ads reports, kept in step with the Ads facts, and the ones owners
enter by hand (which owners may also change and delete; the Ads ones only Ads changes)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.shortcuts import get_object_or_404

from inkwell.errors import Conflict, refuse_unknown_fields
from marketing.error_codes import MarketingErrorCode
from marketing.models import Campaign

# What an owner may set on a campaign entered by hand (the Ads id is never theirs to set).
EDITABLE_FIELDS = ("name", "channel", "budget", "start", "end", "notes")


def campaigns_sync_from_ads() -> int:
    """Make or update one campaign per Ads campaign id in the facts (name as last reported, dates
    from its first to its last day). One statement; returns how many were made or changed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketing_campaign (name, channel, ads_campaign_id, start, "end", notes, created)
            SELECT DISTINCT ON (campaign_id) campaign_name, %s, campaign_id,
                   min(day) OVER w, max(day) OVER w, '', now()
            FROM marketing_adsfact
            WINDOW w AS (PARTITION BY campaign_id)
            ORDER BY campaign_id, day DESC
            ON CONFLICT (ads_campaign_id) WHERE ads_campaign_id <> '' DO UPDATE
            SET name = EXCLUDED.name, start = EXCLUDED.start, "end" = EXCLUDED."end"
            WHERE (marketing_campaign.name, marketing_campaign.start, marketing_campaign."end")
                  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.start, EXCLUDED."end")
            """,
            [Campaign.Channel.GOOGLE_ADS],
        )
        return cursor.rowcount


def _campaign_clean(campaign: Campaign) -> None:
    """Every field's own rules, then the dates' order as an error on the end date (where the owner
    fixes it), then the model's constraints. Raises ValidationError with field errors."""
    try:
        campaign.clean_fields()
    except ValidationError as exc:
        errors = exc.error_dict
    else:
        errors = {}
    dated = "start" not in errors and "end" not in errors and campaign.start and campaign.end
    if dated and campaign.end < campaign.start:
        errors["end"] = [ValidationError("The campaign can't end before it starts.", code="campaign_dates")]
    try:  # the database's own checks of what is not already found wrong
        campaign.validate_constraints(exclude=set(errors))
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _editable(campaign: Campaign) -> None:
    if campaign.ads_campaign_id:
        raise Conflict(
            "This campaign comes from Google Ads: change it in Google Ads.",
            code=MarketingErrorCode.CAMPAIGN_FROM_ADS,
        )


def campaign_create(
    *, name: str, channel: str, budget=None, start=None, end=None, notes: str = ""
) -> Campaign:
    """A campaign entered by hand (print, radio, a social push); validated like any model."""
    campaign = Campaign(name=name, channel=channel, budget=budget, start=start, end=end, notes=notes)
    _campaign_clean(campaign)
    campaign.save()
    return campaign


def campaign_update(*, campaign: Campaign, data: dict) -> Campaign:
    """Change a campaign entered by hand: the fields of EDITABLE_FIELDS found in `data` (others are
    refused: a caller sending one has a bug). Raises ValidationError (field errors) for bad values,
    Conflict for an Ads campaign,
    Http404 when it was deleted meanwhile."""
    refuse_unknown_fields(data, EDITABLE_FIELDS)
    with transaction.atomic():
        # Deleted meanwhile (another owner, a double click): nothing to change, 404.
        campaign = get_object_or_404(Campaign.objects.select_for_update(), pk=campaign.pk)
        _editable(campaign)
        for field in EDITABLE_FIELDS:
            if field in data:
                setattr(campaign, field, data[field])
        _campaign_clean(campaign)
        campaign.save()
    return campaign


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign entered by hand (Conflict for an Ads campaign: the next sync would bring it
    back)."""
    with transaction.atomic():
        campaign = get_object_or_404(Campaign.objects.select_for_update(), pk=campaign.pk)
        _editable(campaign)
        campaign.delete()
