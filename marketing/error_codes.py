"""Stable, machine-readable error codes of the marketing app (see tenants/error_codes.py)."""

from enum import StrEnum


class MarketingErrorCode(StrEnum):
    ILLEGAL_TRANSITION = "illegal_lead_transition"
    STATUS_UNKNOWN = "lead_status_unknown"
    NEEDS_CONTACT = "lead_needs_contact"
    IMPORT_INVALID = "lead_import_invalid"
    LEAD_NOT_WON = "lead_not_won"
    LEAD_ALREADY_CONVERTED = "lead_already_converted"
    SLUG_RESERVED = "page_slug_reserved"
    SLUG_LOCKED = "page_slug_locked"
    NOT_PUBLISHED = "page_not_published"
    CAMPAIGN_FROM_ADS = "campaign_from_ads"
    DAY_NOT_IN_MONTH = "day_not_in_month"
