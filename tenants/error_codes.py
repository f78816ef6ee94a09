"""Stable, machine-readable error codes of the tenants app.

API clients, MCP tools and the Telegram bot branch on these (the `code` of the API's error shape,
see inkwell/errors.py); the sentences beside them may change, the codes may not.
"""

from enum import StrEnum


class TenantErrorCode(StrEnum):
    INVALID_SUBDOMAIN = "invalid_subdomain"
    RESERVED_SUBDOMAIN = "reserved_subdomain"
    SUBDOMAIN_TAKEN = "subdomain_taken"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    INVALID_EMAIL = "invalid_email"
    INVALID_PHONE = "invalid_phone"
    INVALID_PLAN = "invalid_plan"
    INVALID_COLOUR = "invalid_colour"
    INVALID_TIMEZONE = "invalid_timezone"
    LOGO_TOO_LARGE = "logo_too_large"
    CONTROL_CHARACTERS = "control_characters"
    FIELD_NOT_EDITABLE = "field_not_editable"
    ALREADY_MEMBER = "already_member"
    ACCOUNT_CLOSED = "account_closed"
    LAST_OWNER = "last_owner"
