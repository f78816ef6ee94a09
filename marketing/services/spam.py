"""Spam defence for public lead forms (the quote forms of the landing pages use it): a honeypot
field, a time-to-submit check and a per-IP rate limit. A rejected submission raises SpamRejected
with a message the visitor can act on, before anything is stored."""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing

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
    """A signed "form shown at" time for the form's hidden STAMP_FIELD."""
    return signing.dumps(int(now if now is not None else time.time()), salt=STAMP_SALT)


def submission_check(*, data, ip: str | None, now: float | None = None) -> None:
    """Refuse a submission that looks automated; counts it against the client's address first."""
    if ip:
        limit, window = PER_IP_LIMIT
        rate_limit(
            scope="lead-form", key=address_bucket(ip), limit=limit, window=window, message=RATE_MESSAGE
        )
    if data.get(HONEYPOT_FIELD):
        raise SpamRejected("Your request could not be sent. Please call us instead.", code="honeypot")
    try:
        shown_at = int(signing.loads(data.get(STAMP_FIELD, ""), salt=STAMP_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise SpamRejected(
            "This form has expired; reload the page and try again.", code="form_stamp"
        ) from None
    elapsed = (now if now is not None else time.time()) - shown_at
    if elapsed > MAX_AGE:
        raise SpamRejected("This form has expired; reload the page and try again.", code="form_stale")
    # settings.LEAD_FORM_MIN_SECONDS: nobody types a quote request faster; scripts post at once.
    if elapsed < settings.LEAD_FORM_MIN_SECONDS:
        raise SpamRejected("That was quick! Check your details and send the form again.", code="too_fast")
