"""Stable codes of billing's errors (API clients and pages branch on these, never on messages)."""

from enum import StrEnum


class BillingErrorCode(StrEnum):
    SIGNATURE_INVALID = "signature_invalid"
    PAYLOAD_INVALID = "payload_invalid"
    PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    PLAN_UPGRADE_REQUIRED = "plan_upgrade_required"
    NO_SUBSCRIPTION = "no_subscription"
    INVALID_PLAN = "invalid_plan"
