"""Password-less sign-in for tenant users: a magic link by email, or a 6-digit code by SMS.

Secrets are made with `secrets`, stored only as SHA-256 digests (codes as an HMAC keyed with
SECRET_KEY) and compared in constant time. Links live 15 minutes, codes 10, welcome (and
invitation) links 7 days; all work once. A
code needs the 128-bit challenge kept in the browser's session as well as the code itself; five
wrong codes burn the challenge, and ten wrong codes in a day stop codes for that person.

A request is answered the same way, in the same time, whether or not the address belongs to
anyone: the web process only checks rate limits and queues the delivery; the worker looks the
person up, writes the token and sends the message (or, for strangers, sends nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inkwell.errors import DomainError
from inkwell.queue import enqueue_on_commit
from inkwell.ratelimit import address_bucket, counter_hit, counter_value, rate_limit, rate_limit_delivery
from tenants.messaging import SmsDeliveryError, render_text, sms_send, tenant_email_send
from tenants.models import SignInToken, Tenant, User
from tenants.selectors import email_key, member_by_email, member_by_phone, membership_get, tenant_url
from tenants.services.audit import audit_record
from tenants.validators import normalize_phone

logger = logging.getLogger(__name__)


class SignInFailed(DomainError):
    status_code = 400


LINK_FAILED = "This sign-in link has expired or has already been used. Ask for a new one."
CODE_FAILED = "That code is not right, or it has expired. Check the SMS or ask for a new code."
CODE_LOCKED = "Too many wrong codes. Ask for a new code."
TOO_MANY = "Too many sign-in requests. Wait a few minutes and try again."
CODE_FAILURES_WINDOW = 24 * 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_digest(challenge_digest: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{challenge_digest}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _limit_request(*, tenant: Tenant, address: str, ip: str | None) -> None:
    """`address` is the lookup key: `email_key(email)`, or a phone number in E.164 form."""
    rate_limit_delivery(scope="signin", address=f"{tenant.pk}:{address}", ip=ip, message=TOO_MANY)


def _minutes(ttl: timedelta) -> int:
    return int(ttl.total_seconds() // 60)


# --- magic links ------------------------------------------------------------------------------------


# Links a person can follow to sign in; both kinds use /sign-in/link/<token>/.
LINK_KINDS = (SignInToken.Kind.LINK, SignInToken.Kind.WELCOME)


def signin_link_issue(*, tenant: Tenant, user: User, ip: str | None = None) -> str:
    """Create a single-use sign-in link for `user` on `tenant` and return its absolute URL."""
    token = secrets.token_urlsafe(32)
    SignInToken.objects.create(
        tenant=tenant,
        user=user,
        kind=SignInToken.Kind.LINK,
        digest=_digest(token),
        expires_at=timezone.now() + settings.SIGNIN_LINK_TTL,
        created_ip=ip,
    )
    return tenant_url(tenant, f"/sign-in/link/{token}/")


def _link_deliver(
    *, tenant: Tenant, user: User, kind: str, ttl: timedelta, delivery_id: str, ip: str | None,
    template: str, **context,
) -> bool:  # fmt: skip
    """Make a link for `user` and email it, once per `delivery_id` (the id of one queued delivery).

    The link is made here, in the worker, so it never travels through the broker. Call it inside a
    transaction: the token and the recorded email commit together, so a task that dies half-way is
    redone whole, and a redelivered one finds its token and sends nothing. Returns whether it sent.
    """
    token = secrets.token_urlsafe(32)
    _, created = SignInToken.objects.get_or_create(
        delivery_id=delivery_id,
        defaults={
            "tenant": tenant,
            "user": user,
            "kind": kind,
            "digest": _digest(token),
            "expires_at": timezone.now() + ttl,
            "created_ip": ip,
        },
    )
    if not created:
        return False
    url = tenant_url(tenant, f"/sign-in/link/{token}/")
    tenant_email_send(
        tenant=tenant, to=user.email, template=template, context={"user": user, "url": url, **context}
    )
    return True


def _delivery_id() -> str:
    """Names one queued delivery, so that a redelivered task can tell its message already went out."""
    return secrets.token_hex(16)


def signin_link_request(*, tenant: Tenant, email: str, ip: str | None) -> None:
    """Rate-limit, then queue the delivery of a sign-in link to `email` (sent only to a member)."""
    from tenants.tasks import signin_link_deliver

    _limit_request(tenant=tenant, address=email_key(email), ip=ip)
    enqueue_on_commit(
        signin_link_deliver, tenant_id=tenant.pk, email=email, ip=ip, delivery_id=_delivery_id()
    )


@transaction.atomic
def signin_link_send(*, tenant: Tenant, email: str, ip: str | None, delivery_id: str) -> bool:
    """Email a sign-in link if `email` belongs to a member of `tenant`, once per `delivery_id`.
    Returns whether one was sent."""
    user = member_by_email(tenant=tenant, email=email)
    if user is None:
        return False
    ttl = settings.SIGNIN_LINK_TTL
    return _link_deliver(
        tenant=tenant, user=user, kind=SignInToken.Kind.LINK, ttl=ttl, delivery_id=delivery_id, ip=ip,
        template="emails/signin_link", minutes=_minutes(ttl),
    )  # fmt: skip


def signin_welcome_send(*, tenant: Tenant, user: User) -> None:
    """Queue a welcome email with a new sign-in link for `user` (a new owner, or an invited person).

    Inside a transaction it is queued when that commits; outside one at once, and a broker outage
    raises ServiceUnavailable. Earlier welcome links stay good until they expire or are used.
    """
    from tenants import tasks

    enqueue_on_commit(
        tasks.signin_welcome_deliver, tenant_id=tenant.pk, user_id=user.pk, delivery_id=_delivery_id()
    )


@transaction.atomic
def signin_welcome_deliver(*, tenant: Tenant, user: User, delivery_id: str) -> bool:
    """Make a welcome link (valid SIGNIN_WELCOME_TTL, single use) and email it, once per `delivery_id`.
    Returns whether an email was sent (False for a redelivered task, or for a person who stopped
    being an active member since it was queued: their link would not work anyway)."""
    if membership_get(user=user, tenant=tenant) is None:
        return False
    ttl = settings.SIGNIN_WELCOME_TTL
    return _link_deliver(
        tenant=tenant, user=user, kind=SignInToken.Kind.WELCOME, ttl=ttl, delivery_id=delivery_id, ip=None,
        template="emails/welcome", days=ttl.days,
    )  # fmt: skip


def _token_for_update(*, tenant: Tenant, kinds: tuple[str, ...], digest: str) -> SignInToken | None:
    return (
        SignInToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(tenant=tenant, kind__in=kinds, digest=digest)
        .first()
    )


def _usable(token: SignInToken | None) -> bool:
    return token is not None and token.used_at is None and token.expires_at > timezone.now()


def _link_good(found: SignInToken | None, tenant: Tenant) -> bool:
    # Its person must still be an active member here: deactivating someone stops their links at once.
    return _usable(found) and membership_get(user=found.user, tenant=tenant) is not None


def signin_link_peek(*, tenant: Tenant, token: str) -> bool:
    """Whether a link is still good, without using it (for the confirmation page)."""
    found = (
        SignInToken.objects.select_related("user")
        .filter(tenant=tenant, kind__in=LINK_KINDS, digest=_digest(token))
        .first()
    )
    return _link_good(found, tenant)


@transaction.atomic
def signin_link_consume(*, tenant: Tenant, token: str) -> User:
    """Use a sign-in or welcome link once and return its user. Raises SignInFailed for any link that
    isn't good here."""
    found = _token_for_update(tenant=tenant, kinds=LINK_KINDS, digest=_digest(token))
    if not _link_good(found, tenant):
        raise SignInFailed(LINK_FAILED)
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return found.user


# --- SMS codes --------------------------------------------------------------------------------------


def signin_code_request(*, tenant: Tenant, phone: str, ip: str | None) -> str:
    """Rate-limit, queue an SMS code for `phone`, and return the challenge for the browser's session.

    Raises ValidationError for a number that does not parse (that says nothing about accounts).
    """
    from tenants.tasks import signin_code_deliver

    number = normalize_phone(phone)
    _limit_request(tenant=tenant, address=number, ip=ip)
    challenge = secrets.token_urlsafe(32)
    # Only the challenge's digest travels through the broker; the code is made by the worker.
    enqueue_on_commit(
        signin_code_deliver, tenant_id=tenant.pk, phone=number, challenge_digest=_digest(challenge), ip=ip
    )
    return challenge


def _code_failures_key(tenant: Tenant, user: User) -> str:
    return f"{tenant.pk}:{user.pk}"


def _codes_locked(tenant: Tenant, user: User) -> bool:
    """Too many wrong codes today: no code signs this person in until the window passes."""
    failures = counter_value(scope="signin-code-failures", key=_code_failures_key(tenant, user))
    return failures >= settings.SIGNIN_CODE_FAILURES_PER_DAY


def signin_code_send(*, tenant: Tenant, phone: str, challenge_digest: str, ip: str | None) -> bool:
    """Record the challenge and text its code if `phone` belongs to a member who isn't locked out.

    A challenge is recorded either way (with no user, it can never succeed), so strangers and
    members see the same answers to their guesses. Returns whether an SMS went out.
    """
    user = member_by_phone(tenant=tenant, phone=phone)
    if user is not None and _codes_locked(tenant, user):
        logger.warning("SMS sign-in for user %s on %s is locked for the day", user.pk, tenant.schema_name)
        user = None
    code = f"{secrets.randbelow(1_000_000):06d}"
    _, created = SignInToken.objects.get_or_create(
        digest=challenge_digest,
        defaults={
            "tenant": tenant,
            "user": user,
            "kind": SignInToken.Kind.CODE,
            "code_digest": _code_digest(challenge_digest, code),
            "expires_at": timezone.now() + settings.SIGNIN_CODE_TTL,
            "created_ip": ip,
        },
    )
    if user is None or not created:  # a redelivered task: its SMS (and code) went out the first time
        return False
    context = {"brand": tenant.config.brand_name, "code": code, "minutes": _minutes(settings.SIGNIN_CODE_TTL)}
    try:
        sms_send(
            to=phone,
            body=render_text("sms/signin_code.txt", context).strip(),
            tenant=tenant,
            secret=code,
        )
    except SmsDeliveryError:
        return False  # recorded as failed in the outbox; the person can ask again or use email
    return True


def signin_code_verify(*, tenant: Tenant, challenge: str, code: str, ip: str | None) -> User:
    """Check a code against its challenge and return the user. Wrong codes count; the fifth locks."""
    if ip:
        limit, window = settings.SIGNIN_RATE_PER_IP
        rate_limit(
            scope="signin-verify-ip", key=address_bucket(ip), limit=limit, window=window, message=TOO_MANY
        )
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise ValidationError("Enter the 6 digits from the SMS.", code="invalid_code")
    challenge_digest = _digest(challenge or "")
    with transaction.atomic():
        found = _token_for_update(tenant=tenant, kinds=(SignInToken.Kind.CODE,), digest=challenge_digest)
        if not _usable(found):
            raise SignInFailed(CODE_FAILED)
        if found.attempts >= settings.SIGNIN_CODE_MAX_ATTEMPTS:
            raise SignInFailed(CODE_LOCKED)
        right = hmac.compare_digest(found.code_digest, _code_digest(challenge_digest, code))
        if (
            right
            and found.user is not None
            and membership_get(user=found.user, tenant=tenant)
            and not _codes_locked(tenant, found.user)
        ):
            found.used_at = timezone.now()
            found.save(update_fields=["used_at"])
            return found.user
        SignInToken.objects.filter(pk=found.pk).update(attempts=F("attempts") + 1)
        locked = found.attempts + 1 >= settings.SIGNIN_CODE_MAX_ATTEMPTS
    if found.user is not None:
        counter_hit(
            scope="signin-code-failures",
            key=_code_failures_key(tenant, found.user),
            window=CODE_FAILURES_WINDOW,
        )
    # Raised after the commit so the counted attempt sticks.
    raise SignInFailed(CODE_LOCKED if locked else CODE_FAILED)


# --- sessions ---------------------------------------------------------------------------------------


@transaction.atomic
def signout_everywhere(*, user: User, actor: User | str | None, tenant: Tenant | None = None) -> None:
    """End every session of `user` on every device: their session hashes stop matching.
    `tenant` is where it was asked from (None: the staff back office)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    audit_record(actor=actor, action="user.signed_out_everywhere", tenant=tenant, data={"user": user.email})


def sessions_clear() -> None:
    """Delete expired sessions, as `manage.py clearsessions` does: Django never removes them itself."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def signin_tokens_purge() -> int:
    """Delete sign-in tokens that expired more than a day ago. Returns how many."""
    deleted, _ = SignInToken.objects.filter(expires_at__lt=timezone.now() - timedelta(days=1)).delete()
    return deleted
