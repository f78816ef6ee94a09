"""Public signup: a pending Signup row, then a Checkout Session that carries its id."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import gateway
from billing.error_codes import BillingErrorCode
from billing.models import Signup
from billing.plans import PLANS
from billing.selectors import subdomain_availability
from inkwell.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

PROVIDER_DOWN = "We could not reach the payment provider. Nothing was charged; try again in a minute."


def signup_start(
    *, business_name: str, subdomain: str, email: str, phone: str, plan: str, resume: Signup | None = None
) -> Signup:
    """Record a pending signup and open its checkout. Refuses an invalid, reserved or taken subdomain
    (ValidationError on "subdomain") before anything is paid. `resume` is a pending signup coming back
    from a canceled checkout: it is reused rather than left behind.
    """
    if plan not in PLANS:
        raise ValidationError(
            {"plan": ValidationError("Choose one of the plans.", code=BillingErrorCode.INVALID_PLAN)}
        )
    if resume is not None and resume.status != Signup.Status.PENDING:
        resume = None
    availability = subdomain_availability(subdomain=subdomain, signup=resume)
    if not availability.available:
        raise ValidationError({"subdomain": ValidationError(availability.message, code=availability.code)})
    fields = dict(
        business_name=business_name.strip(), subdomain=availability.subdomain, email=email.strip().lower(),
        phone=phone, plan=plan,
    )  # fmt: skip
    with transaction.atomic():
        if resume is not None:
            signup = Signup.objects.select_for_update().get(pk=resume.pk)
            for name, value in fields.items():
                setattr(signup, name, value)
        else:
            signup = Signup(**fields)
        signup.checkout_session_id = None
        signup.checkout_url = ""
        signup.save()
    # The row is committed before the provider is called: the session carries its id.
    try:
        session = gateway.checkout_session_create(signup=signup)
    except gateway.ProviderError as exc:
        logger.warning("Checkout session for signup %s failed: %s", signup.pk, exc)
        raise ServiceUnavailable(PROVIDER_DOWN, code=BillingErrorCode.PROVIDER_UNAVAILABLE) from exc
    Signup.objects.filter(pk=signup.pk).update(checkout_session_id=session.id, checkout_url=session.url)
    signup.checkout_session_id, signup.checkout_url = session.id, session.url
    return signup


# A checkout session lives an hour; a signup still unpaid a week later was abandoned.
ABANDONED_AFTER = timedelta(days=7)


def signups_purge_abandoned() -> int:
    """Delete signups never paid for within ABANDONED_AFTER (beat, daily): their names, addresses and
    numbers are kept no longer than needed. Returns how many."""
    deleted, _ = Signup.objects.filter(
        status=Signup.Status.PENDING, created__lt=timezone.now() - ABANDONED_AFTER
    ).delete()
    return deleted
