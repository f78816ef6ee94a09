"""Signing a contract the way the signing page does (signature row, `signed`, the signal), for the
sealing and verification tests; and a tiny valid PNG for a drawn signature."""

import base64
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from contracts.models import Contract, Signature
from contracts.pdf import contract_pdf_render
from contracts.services.certificate import seal_credentials
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from contracts.services.sealing import contract_pdf_seal
from contracts.services.status import contract_lock, contract_transition
from contracts.signals import contract_signed

# A 2×1 PNG (one black, one white pixel).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAC0lEQVR4nGNg+A8AAQIBAEK+vGgAAAAASUVORK5CYII="
)
CUSTOMER = Actor(
    type="customer", label="Ada Client", ip="203.0.113.9", user_agent="Mozilla/5.0 (iPhone; test)"
)


def sign(world, contract: Contract, *, image: bytes = PNG, name: str = "Ada Client") -> Contract:
    """Record the customer's signature and send `contract_signed`, in one transaction."""
    with tenant_context(world.tenant), transaction.atomic():
        locked = contract_lock(contract.pk)
        Signature.objects.create(
            contract=locked,
            signer_name=name,
            image_png=image,
            signed_at=timezone.now(),
            ip=CUSTOMER.ip,
            user_agent=CUSTOMER.user_agent,
            consent_text=locked.consent_snapshot,
            terms_version=locked.template.version,
            document_sha256="ab" * 32,
        )
        contract_transition(contract=locked, to=Contract.Status.SIGNED, actor=CUSTOMER)
        contract_signed.send(sender=Contract, contract=locked)
        return locked


@dataclass(frozen=True)
class SealedOnce:
    unsealed: bytes
    sealed: bytes
    reference: str


def seal_once(world) -> SealedOnce:
    """Render and seal one signed contract of `world`, then roll every row back: PDF bytes for tests
    that need a sealed file but no database state (made once per module, it keeps the suite fast)."""
    from tests.contracts.conftest import CONTRACT_DATA

    with tenant_context(world.tenant), transaction.atomic():
        owner = Actor(type="owner", user=world.owner)
        contract = contract_send(contract=contract_create(data=CONTRACT_DATA, actor=owner), actor=owner)
        contract = sign(world, contract)
        extra = {
            "seal_fingerprint": seal_credentials().fingerprint,
            "deployment": settings.INKWELL_PUBLIC_URL,
        }
        unsealed = contract_pdf_render(contract=contract, extra=extra)
        sealed = contract_pdf_seal(pdf=unsealed, reference=contract.reference)
        transaction.set_rollback(True)
    return SealedOnce(unsealed=unsealed, sealed=sealed, reference=contract.reference)
