"""Linking a Telegram chat to one owner of one business.

The owner asks the dashboard for a deep link `https://t.me/<bot>?start=<code>`; opening it in Telegram
sends the bot `/start <code>`, which links the chat. The code is `secrets.token_urlsafe`, kept only as
its SHA-256, good for LINK_CODE_TTL and once. Links live in the public schema (an update arrives on
the public host knowing only the chat); everything the bot then reads is in the linked tenant's
schema, and only there.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inkwell.errors import DomainError, NotAllowed
from tenants.models import Membership, TelegramLink, TelegramLinkCode, TelegramUpdate, Tenant, User

LINK_CODE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class NewLinkCode:
    code: str  # shown once, in the link
    url: str
    expires_at: datetime


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _require_owner(*, tenant: Tenant, user: User) -> None:
    owner = Membership.objects.filter(tenant=tenant, user=user, role=Membership.Role.OWNER)
    if not (user.is_active and owner.exists()):
        raise NotAllowed("Only an owner of this business can link Telegram.")


def telegram_link_code_create(*, tenant: Tenant, user: User) -> NewLinkCode:
    """A one-time code for `user` (an owner of `tenant`) to link a chat, and its deep link."""
    _require_owner(tenant=tenant, user=user)
    code = secrets.token_urlsafe(32)  # 43 characters of [A-Za-z0-9_-]: what a start parameter allows
    row = TelegramLinkCode.objects.create(
        digest=_digest(code), tenant=tenant, user=user, expires_at=timezone.now() + LINK_CODE_TTL
    )
    return NewLinkCode(
        code=code,
        url=f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={code}",
        expires_at=row.expires_at,
    )


@transaction.atomic
def telegram_link_claim(*, code: str, chat_id: int, chat_label: str = "") -> TelegramLink:
    """Link `chat_id` with the one-time `code`. A chat already linked (to this business or another)
    is linked anew, with the default notifications. Raises DomainError with code
    `telegram_code_unknown`, `telegram_code_used` or `telegram_code_expired`, or NotAllowed when the
    person who made the code is no longer an owner."""
    row = (
        TelegramLinkCode.objects.select_for_update()
        .select_related("tenant", "user")
        .filter(digest=_digest(code or ""))
        .first()
    )
    if row is None:
        raise DomainError("That link code is not one I know.", code="telegram_code_unknown")
    if row.used_at is not None:
        raise DomainError("That link code has been used already.", code="telegram_code_used")
    if row.expires_at <= timezone.now():
        raise DomainError("That link code has expired.", code="telegram_code_expired")
    _require_owner(tenant=row.tenant, user=row.user)
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    TelegramLink.objects.filter(chat_id=chat_id).delete()
    return TelegramLink.objects.create(
        chat_id=chat_id, tenant=row.tenant, user=row.user, chat_label=chat_label[:200]
    )


def telegram_links_of(*, tenant: Tenant):
    return TelegramLink.objects.filter(tenant=tenant).select_related("user").order_by("created", "pk")


def telegram_link_get(*, tenant: Tenant, pk: int) -> TelegramLink | None:
    """`tenant`'s link `pk`, or None (another business's link is as unknown as a made-up one)."""
    return TelegramLink.objects.filter(tenant=tenant, pk=pk).first()


def telegram_unlink(*, link: TelegramLink) -> None:
    """Forget the chat: the bot answers it as any unlinked chat from now on."""
    link.delete()


NOTIFY_FIELDS = ("notify_leads", "notify_contracts", "notify_handovers")


def telegram_link_preferences_update(*, link: TelegramLink, user: User, **preferences: bool) -> TelegramLink:
    """Which events `link`'s chat is told about. Only the person who linked the chat changes them."""
    if link.user_id != user.pk:
        raise NotAllowed("Only the person who linked this chat can change what it is told.")
    unknown = set(preferences) - set(NOTIFY_FIELDS)
    if unknown:
        raise ValueError(f"Unknown preferences: {sorted(unknown)}")
    for name, value in preferences.items():
        setattr(link, name, bool(value))
    link.save(update_fields=list(preferences))
    return link


UPDATES_KEPT = timedelta(days=7)  # Telegram redelivers an update for at most 24 hours
CODES_KEPT = timedelta(days=1)  # an expired or used code, kept a day for whoever asks what happened


def telegram_purge(*, now: datetime | None = None) -> int:
    """Forget update ids too old to be redelivered and link codes long expired. Returns rows deleted."""
    now = now or timezone.now()
    updates, _ = TelegramUpdate.objects.filter(received__lt=now - UPDATES_KEPT).delete()
    codes, _ = TelegramLinkCode.objects.filter(expires_at__lt=now - CODES_KEPT).delete()
    return updates + codes
