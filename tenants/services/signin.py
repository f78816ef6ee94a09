"""Password-less sign-in for tenant users: a magic link by email, or a 6-digit code by SMS.

Secrets are made with `secrets`, stored only as SHA-256 digests and compared in constant time.
Links live 15 minutes, codes 10; both work once. A code needs the 128-bit challenge kept in the
browser's session as well as the code itself, and five wrong codes burn the challenge.
Requests are rate-limited per address and per IP, and answer the same whether or not the
address belongs to anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from inkwell.errors import DomainError
from inkwell.ratelimit import rate_limit
from tenants.messaging import TENANT_HEADER, sms_send
from tenants.models import SignInToken, Tenant, User
from tenants.selectors import member_by_email, member_by_phone, membership_get, tenant_url
from tenants.validators import normalize_phone


class SignInFailed(DomainError):
    status_code = 400


LINK_FAILED = "This sign-in link has expired or has already been used. Ask for a new one."
CODE_FAILED = "That code is not right, or it has expired. Check the SMS or ask for a new code."
CODE_LOCKED = "Too many wrong codes. Ask for a new code."
TOO_MANY = "Too many sign-in requests. Wait a few minutes and try again."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_digest(challenge: str, code: str) -> str:
    return hmac.new(challenge.encode(), code.encode(), hashlib.sha256).hexdigest()


def _limit(scope: str, key: str, rate: tuple[int, int]) -> None:
    limit, window = rate
    rate_limit(scope=scope, key=key, limit=limit, window=window, message=TOO_MANY)


def _limit_request(*, tenant: Tenant, address: str, ip: str | None) -> None:
    _limit("signin-address", f"{tenant.pk}:{_digest(address.lower())}", settings.SIGNIN_RATE_PER_ADDRESS)
    if ip:
        _limit("signin-ip", ip, settings.SIGNIN_RATE_PER_IP)


# --- magic links ------------------------------------------------------------------------------------


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


def _send_link_email(*, tenant: Tenant, user: User, url: str, template: str) -> None:
    context = {"tenant": tenant, "brand": tenant.config.brand_name, "user": user, "url": url,
               "minutes": int(settings.SIGNIN_LINK_TTL.total_seconds() // 60)}  # fmt: skip
    subject, _, body = render_to_string(template, context).partition("\n")
    message = EmailMessage(
        subject.strip(), body.lstrip("\n"), to=[user.email], headers={TENANT_HEADER: tenant.schema_name}
    )
    message.send()


def signin_link_request(*, tenant: Tenant, email: str, ip: str | None) -> None:
    """Email a sign-in link if `email` belongs to a member of `tenant`; silently do nothing otherwise."""
    _limit_request(tenant=tenant, address=email.strip(), ip=ip)
    user = member_by_email(tenant=tenant, email=email)
    if user is None:
        return
    url = signin_link_issue(tenant=tenant, user=user, ip=ip)
    _send_link_email(tenant=tenant, user=user, url=url, template="emails/signin_link.txt")


def signin_welcome_send(*, tenant: Tenant, user: User) -> str:
    """Send a new owner their welcome email with a first sign-in link; returns the link."""
    url = signin_link_issue(tenant=tenant, user=user)
    _send_link_email(tenant=tenant, user=user, url=url, template="emails/welcome.txt")
    return url


def _token_for_update(*, tenant: Tenant, kind: str, secret: str) -> SignInToken | None:
    return (
        SignInToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(tenant=tenant, kind=kind, digest=_digest(secret))
        .first()
    )


def _usable(token: SignInToken | None) -> bool:
    return token is not None and token.used_at is None and token.expires_at > timezone.now()


def signin_link_peek(*, tenant: Tenant, token: str) -> bool:
    """Whether a link is still good, without using it (for the confirmation page)."""
    found = SignInToken.objects.filter(
        tenant=tenant, kind=SignInToken.Kind.LINK, digest=_digest(token)
    ).first()
    return _usable(found)


@transaction.atomic
def signin_link_consume(*, tenant: Tenant, token: str) -> User:
    """Use a magic link once and return its user. Raises SignInFailed for any link that isn't good here."""
    found = _token_for_update(tenant=tenant, kind=SignInToken.Kind.LINK, secret=token)
    if not _usable(found) or membership_get(user=found.user, tenant=tenant) is None:
        raise SignInFailed(LINK_FAILED)
    found.used_at = timezone.now()
    found.save(update_fields=["used_at"])
    return found.user


# --- SMS codes --------------------------------------------------------------------------------------


def signin_code_request(*, tenant: Tenant, phone: str, ip: str | None) -> str:
    """Text a 6-digit code to `phone` if it belongs to a member; return the challenge either way.

    Raises ValidationError for a number that does not parse (that says nothing about accounts).
    """
    number = normalize_phone(phone)
    _limit_request(tenant=tenant, address=number, ip=ip)
    user = member_by_phone(tenant=tenant, phone=number)
    challenge = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(1_000_000):06d}"
    SignInToken.objects.create(
        tenant=tenant,
        user=user,
        kind=SignInToken.Kind.CODE,
        digest=_digest(challenge),
        code_digest=_code_digest(challenge, code),
        expires_at=timezone.now() + settings.SIGNIN_CODE_TTL,
        created_ip=ip,
    )
    if user is not None:
        body = render_to_string(
            "sms/signin_code.txt",
            {
                "brand": tenant.config.brand_name,
                "code": code,
                "minutes": int(settings.SIGNIN_CODE_TTL.total_seconds() // 60),
            },
        ).strip()
        sms_send(to=number, body=body, tenant=tenant)
    return challenge


def signin_code_verify(*, tenant: Tenant, challenge: str, code: str, ip: str | None) -> User:
    """Check a code against its challenge and return the user. Wrong codes count; the fifth locks."""
    if ip:
        _limit("signin-verify-ip", ip, settings.SIGNIN_RATE_PER_IP)
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise ValidationError("Enter the 6 digits from the SMS.", code="invalid_code")
    with transaction.atomic():
        found = _token_for_update(tenant=tenant, kind=SignInToken.Kind.CODE, secret=challenge or "")
        if not _usable(found):
            raise SignInFailed(CODE_FAILED)
        if found.attempts >= settings.SIGNIN_CODE_MAX_ATTEMPTS:
            raise SignInFailed(CODE_LOCKED)
        right = hmac.compare_digest(found.code_digest, _code_digest(challenge, code))
        if right and found.user is not None and membership_get(user=found.user, tenant=tenant):
            found.used_at = timezone.now()
            found.save(update_fields=["used_at"])
            return found.user
        SignInToken.objects.filter(pk=found.pk).update(attempts=F("attempts") + 1)
        locked = found.attempts + 1 >= settings.SIGNIN_CODE_MAX_ATTEMPTS
    # Raised after the commit so the counted attempt sticks.
    raise SignInFailed(CODE_LOCKED if locked else CODE_FAILED)


# --- sessions ---------------------------------------------------------------------------------------


def signout_everywhere(*, user: User) -> None:
    """End every session of `user` on every device: their session hashes stop matching."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)


def signin_tokens_purge() -> int:
    """Delete sign-in tokens that expired more than a day ago. Returns how many."""
    cutoff = timezone.now() - timedelta(days=1)
    deleted, _ = SignInToken.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
