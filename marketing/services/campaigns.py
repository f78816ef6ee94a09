"""Campaigns: the ones Google Ads reports, kept in step with the Ads facts, and the ones owners
enter by hand."""

from __future__ import annotations

from django.db import connection, transaction

from marketing.models import Campaign


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
