"""The customer's personal link to a contract: /c/<token>/.

The token (256 bits) is shown once, in the SMS and email that carry it; only its SHA-256 is stored.
An unknown, rotated or revoked token finds nothing (a plain 404, the same for all three); a link
past its expiry is recognised so the page can say how to get a new one (410).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from contracts.error_codes import ContractErrorCode
from contracts.models import Contract, PortalSettings
from inkwell.errors import DomainError


class ContractLinkExpired(DomainError):
    status_code = 410
    default_code = ContractErrorCode.LINK_EXPIRED


class ContractLinkUnknown(Exception):
    """No contract has this link (never had, rotated or revoked): the caller answers a plain 404."""


def link_digest(token: str) -> str:
    """What is stored of a link's token (and looked up by): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def contract_link_issue(*, contract: Contract, expires_at: datetime | None = None) -> str:
    """Give `contract` a new link (the old one stops working) and return its token. It expires at
    `expires_at` (a reminder keeps the deadline it carries) or after the tenant's link lifetime.

    The caller saves nothing else: this writes the digest and expiry itself, inside the caller's
    transaction when there is one.
    """
    token = secrets.token_urlsafe(32)
    contract.link_digest = link_digest(token)
    contract.link_expires_at = expires_at or timezone.now() + timedelta(
        days=PortalSettings.load().link_ttl_days
    )
    contract.save(update_fields=["link_digest", "link_expires_at", "updated"])
    return token


def contract_by_link(token: str) -> Contract:
    """The contract behind a customer's link. Raises ContractLinkUnknown or ContractLinkExpired."""
    if not token or len(token) > 100:
        raise ContractLinkUnknown
    contract = Contract.objects.filter(link_digest=link_digest(token)).first()
    if contract is None:
        raise ContractLinkUnknown
    # Expiry is a deadline for signing: once signed, the same link follows the shipment and gives the PDF.
    signed = contract.status in {Contract.Status.SIGNED, Contract.Status.SEALED, Contract.Status.SEAL_FAILED}
    if not signed and contract.link_expires_at is not None and contract.link_expires_at <= timezone.now():
        raise ContractLinkExpired(
            "This link has expired. Ask the company that sent it for a new one: they can resend it in a minute."
        )
    return contract
