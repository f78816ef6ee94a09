"""The quote forms' spam checks: honeypot, time to submit (at and one past each limit), per-IP limit."""

import pytest
from django.conf import settings

from inkwell.errors import RateLimited
from marketing.services.spam import (
    HONEYPOT_FIELD,
    MAX_AGE,
    PER_IP_LIMIT,
    STAMP_FIELD,
    SpamRejected,
    form_stamp_issue,
    submission_check,
)

SHOWN = 1_800_000_000


def _data(**extra):
    return {STAMP_FIELD: form_stamp_issue(now=SHOWN), **extra}


@pytest.mark.parametrize(
    "elapsed, ok",
    [
        (settings.LEAD_FORM_MIN_SECONDS, True),
        (settings.LEAD_FORM_MIN_SECONDS - 1, False),
        (MAX_AGE, True),
        (MAX_AGE + 1, False),
    ],
)
def test_time_to_submit(elapsed, ok):
    if ok:
        submission_check(data=_data(), ip=None, now=SHOWN + elapsed)
    else:
        with pytest.raises(SpamRejected):
            submission_check(data=_data(), ip=None, now=SHOWN + elapsed)


def test_a_filled_honeypot_is_rejected():
    with pytest.raises(SpamRejected) as caught:
        submission_check(data=_data(**{HONEYPOT_FIELD: "http://spam"}), ip=None, now=SHOWN + 10)
    assert caught.value.code == "honeypot"


@pytest.mark.parametrize("stamp", ["", "forged", None])
def test_a_missing_or_forged_stamp_is_rejected(stamp):
    with pytest.raises(SpamRejected):
        submission_check(data={STAMP_FIELD: stamp} if stamp is not None else {}, ip=None, now=SHOWN + 10)


def test_per_ip_limit_at_and_past_the_limit():
    limit, _ = PER_IP_LIMIT
    for _ in range(limit):
        submission_check(data=_data(), ip="203.0.113.9", now=SHOWN + 10)
    with pytest.raises(RateLimited):
        submission_check(data=_data(), ip="203.0.113.9", now=SHOWN + 10)
    submission_check(data=_data(), ip="203.0.113.10", now=SHOWN + 10)  # another visitor is not blocked
