"""Stable, machine-readable error codes of the contracts app (see tenants/error_codes.py)."""

from enum import StrEnum


class ContractErrorCode(StrEnum):
    INVALID_VIN = "invalid_vin"
    ILLEGAL_TRANSITION = "illegal_transition"
    ILLEGAL_MILESTONE = "illegal_milestone"
    ALREADY_SIGNED = "already_signed"
    LINK_EXPIRED = "link_expired"
    CORRECTION_NEEDS_REASON = "correction_needs_reason"
    UNKNOWN_MILESTONE = "unknown_milestone"
    DOCUMENT_CHANGED = "document_changed"
    CODE_REQUIRED = "code_required"
    INVALID_SIGNATURE = "invalid_signature"
    SIGNATURE_TOO_LARGE = "signature_too_large"
    SIGNATURE_EMPTY = "signature_empty"
    NO_PHONE = "no_phone"
    SMS_FAILED = "sms_failed"
    INVALID_CODE = "invalid_code"
    CUSTOMER_UNREACHABLE = "customer_unreachable"
    PICKUP_WINDOW_REVERSED = "pickup_window_reversed"
    STEP_OR_CORRECTION = "step_or_correction"
    TOO_MANY_REMINDERS = "too_many_reminders"
