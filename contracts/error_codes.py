"""Stable, machine-readable error codes of the contracts app (see tenants/error_codes.py)."""

from enum import StrEnum


class ContractErrorCode(StrEnum):
    INVALID_VIN = "invalid_vin"
    ILLEGAL_TRANSITION = "illegal_transition"
    ILLEGAL_MILESTONE = "illegal_milestone"
    ALREADY_SIGNED = "already_signed"
    LINK_EXPIRED = "link_expired"
    CORRECTION_NEEDS_REASON = "correction_needs_reason"
    # c-track (issue 15 §8)
    UNKNOWN_MILESTONE = "unknown_milestone"
    # Customer portal (issue 15 §4–5)
    DOCUMENT_CHANGED = "document_changed"
    CODE_REQUIRED = "code_required"
