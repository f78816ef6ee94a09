"""Campaigns: the ones Google Ads reports, kept in step with the Ads facts, and the ones owners
enter by hand."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from inkwell.errors import Conflict
from marketing.error_codes import MarketingErrorCode
from marketing.models import Campaign

# What a person may set on a campaign entered by hand; the Ads id belongs to the Ads sync.
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


def campaign_create(
    *, name: str, channel: str, budget=None, start=None, end=None, notes: str = ""
) -> Campaign:
    """A campaign entered by hand (print, radio, a social push); validated like any model."""
    campaign = Campaign(name=name, channel=channel, budget=budget, start=start, end=end, notes=notes)
    campaign.full_clean()
    campaign.save()
    return campaign


def _editable_locked(campaign: Campaign) -> Campaign:
    """`campaign` as it is now, locked for the rest of the transaction; refused if Google Ads owns it
    (the next sync would undo any edit)."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.ads_campaign_id:
        raise Conflict(
            "This campaign comes from Google Ads: change it there.", code=MarketingErrorCode.CAMPAIGN_FROM_ADS
        )
    return locked


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: dict) -> Campaign:
    """Change a campaign entered by hand (any of EDITABLE_FIELDS). Raises ValidationError naming each
    bad field, Conflict (`campaign_from_ads`) for one synced from Google Ads."""
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: "This field can't be set." for name in unknown})
    campaign = _editable_locked(campaign)
    for name, value in data.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign) -> Campaign:
    """Delete a campaign entered by hand; Conflict (`campaign_from_ads`) for one from Google Ads.
    Returns the deleted campaign (its fields as they were, without a primary key)."""
    campaign = _editable_locked(campaign)
    campaign.delete()
    return campaign
