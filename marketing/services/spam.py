"""Spam defence for public lead forms (the quote forms of the landing pages use it): a honeypot
field, a signed "shown at" stamp (not too fresh, not too old, sent once), a
same-site check and a per-IP rate limit. A rejected submission raises SpamRejected with a message
the visitor can act on, before anything is stored.

The form carries no CSRF token (pages are cached for every visitor alike); what CSRF would stop —
another site making its visitors' browsers post leads here — the same-site check and the
single-use stamp stop instead."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from inkwell.errors import DomainError
from inkwell.ratelimit import address_bucket, rate_limit

HONEYPOT_FIELD = "website"  # hidden from people by CSS; bots fill every field they find
STAMP_FIELD = "form_stamp"
STAMP_SALT = "marketing.lead-form"
MAX_AGE = 24 * 3600  # an older page is reloaded, not trusted
PER_IP_LIMIT = (5, 3600)  # submissions per client address (IPv6 /64) per window of seconds
RATE_MESSAGE = "We have received several requests from your network; please call us or try again later."


class SpamRejected(DomainError):
    default_code = "submission_rejected"


def form_stamp_issue(*, now: float | None = None) -> str:
    """A signed stamp for the form's hidden STAMP_FIELD: when it was shown, and a nonce that lets it
    be sent once."""
    shown_at = int(now if now is not None else time.time())
    return signing.dumps([shown_at, secrets.token_urlsafe(9)], salt=STAMP_SALT)


def _stamp(value: str) -> tuple[int, str]:
    try:
        shown_at, nonce = signing.loads(value or "", salt=STAMP_SALT)
        return int(shown_at), str(nonce)
    except (signing.BadSignature, TypeError, ValueError):
        raise SpamRejected(
            "This form has expired; reload the page and try again.", code="form_stamp"
        ) from None


def _used_key(nonce: str) -> str:
    return f"lead-form-stamp:{nonce}"


def stamp_mark_used(value: str) -> None:
    """After a lead is made from this stamp's form: the same form can't make another."""
    _shown_at, nonce = _stamp(value)
    cache.add(_used_key(nonce), 1, timeout=MAX_AGE + 60)


def origin_check(*, origin: str | None, fetch_site: str | None, host: str) -> None:
    """Refuse a post another site's page made (the browser says so in Sec-Fetch-Site or Origin)."""
    foreign = fetch_site == "cross-site" or (
        origin not in (None, "", "null") and urlsplit(origin).netloc != host
    )
    if foreign:
        raise SpamRejected("Please send this form from our own website.", code="form_origin")


def submission_check(*, data, ip: str | None, now: float | None = None) -> None:
    """Refuse a submission that looks automated; counts it against the client's address first."""
    if ip:
        limit, window = PER_IP_LIMIT
        rate_limit(
            scope="lead-form", key=address_bucket(ip), limit=limit, window=window, message=RATE_MESSAGE
        )
    if data.get(HONEYPOT_FIELD):
        raise SpamRejected("Your request could not be sent. Please call us instead.", code="honeypot")
    shown_at, nonce = _stamp(data.get(STAMP_FIELD, ""))
    if cache.get(_used_key(nonce)):
        raise SpamRejected(
            "We already have this request. To send another, reload the page.", code="form_reused"
        )
    elapsed = (now if now is not None else time.time()) - shown_at
    if elapsed > MAX_AGE:
        raise SpamRejected("This form has expired; reload the page and try again.", code="form_stale")
    # settings.LEAD_FORM_MIN_SECONDS: nobody types a quote request faster; scripts post at once.
    if elapsed < settings.LEAD_FORM_MIN_SECONDS:
        raise SpamRejected("That was quick! Check your details and send the form again.", code="too_fast")
