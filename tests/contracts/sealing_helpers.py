"""Signing a contract through the signing service, for the sealing and verification tests; and a tiny valid PNG for a drawn signature."""

import base64
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_tenants.utils import tenant_context

from contracts.models import Contract
from contracts.pdf import contract_pdf_render
from contracts.services.certificate import seal_credentials
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from contracts.services.sealing import contract_pdf_seal
from contracts.services.signing import contract_document_sha256, contract_sign

# A 2×1 PNG (one black, one white pixel).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAAAAADRSSBWAAAAC0lEQVR4nGNg+A8AAQIBAEK+vGgAAAAASUVORK5CYII="
)
CUSTOMER = Actor(
    type="customer", label="Ada Client", ip="203.0.113.9", user_agent="Mozilla/5.0 (iPhone; test)"
)


def sign(world, contract: Contract, *, image: bytes = PNG, name: str = "Ada Client") -> Contract:
    """Sign through the signing service, as the signing page does (which sends `contract_signed`)."""
    with tenant_context(world.tenant):
        fresh = Contract.objects.get(pk=contract.pk)
        contract_sign(
            contract=fresh,
            signer_name=name,
            consent=True,
            image_png=image,
            document_sha256=contract_document_sha256(fresh),
            actor=CUSTOMER,
        )
        return Contract.objects.get(pk=contract.pk)


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
