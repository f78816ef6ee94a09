"""Stable, machine-readable error codes of the marketing app (see tenants/error_codes.py)."""

from enum import StrEnum


class MarketingErrorCode(StrEnum):
    ILLEGAL_TRANSITION = "illegal_lead_transition"
    NEEDS_CONTACT = "lead_needs_contact"
    IMPORT_INVALID = "lead_import_invalid"
