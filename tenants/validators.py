"""Validators for tenant-facing values. Each raises ValidationError with a sentence a person can act on."""

import re
import unicodedata
import zoneinfo
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError

from tenants.error_codes import TenantErrorCode

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_no_control_characters(value: str) -> None:
    """Text that ends up in email headers, SMS and pages must stay on one line: no CR/LF, tabs,
    other C0/C1 control characters, or Unicode line and paragraph separators."""
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value or ""):
        raise ValidationError(
            "Remove line breaks and other control characters.", code=TenantErrorCode.CONTROL_CHARACTERS
        )


def validate_paragraphs(value: str) -> None:
    """Text written in a box (a business description, opening hours): line breaks are fine, any
    other control character (tab, escape, NUL, Unicode separators) is refused."""
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} and char not in "\r\n" for char in value or ""):
        raise ValidationError(
            "Remove tabs and other control characters.", code=TenantErrorCode.CONTROL_CHARACTERS
        )


def validate_subdomain(value: str) -> None:
    if not SUBDOMAIN_RE.match(value or ""):
        raise ValidationError(
            "Use 1–40 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
            code=TenantErrorCode.INVALID_SUBDOMAIN,
        )
    if "--" in value:
        raise ValidationError(
            "A subdomain cannot contain two hyphens in a row.", code=TenantErrorCode.INVALID_SUBDOMAIN
        )
    if value in settings.RESERVED_SUBDOMAINS:
        raise ValidationError(
            f"“{value}” is reserved; choose another subdomain.", code=TenantErrorCode.RESERVED_SUBDOMAIN
        )


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR_RE.fullmatch(value or ""):  # match() would let "$" accept a trailing newline
        raise ValidationError(
            "Enter a colour as # followed by six hex digits, like #1d4ed8.",
            code=TenantErrorCode.INVALID_COLOUR,
        )


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(
            f"“{value}” is not a known time zone (for example America/Toronto).",
            code=TenantErrorCode.INVALID_TIMEZONE,
        )


def normalize_phone(value: str, region: str = "CA") -> str:
    """Parse a phone number a person typed and return it in E.164 form, or raise ValidationError."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a valid phone number, like +1 416 555 0123.", code=TenantErrorCode.INVALID_PHONE
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            "Enter a valid phone number, like +1 416 555 0123.", code=TenantErrorCode.INVALID_PHONE
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    normalize_phone(value)


MAX_LOGO_BYTES = 2 * 1024 * 1024


def validate_logo_size(file) -> None:
    if file and file.size > MAX_LOGO_BYTES:
        raise ValidationError("The logo must be 2 MB or smaller.", code=TenantErrorCode.LOGO_TOO_LARGE)
