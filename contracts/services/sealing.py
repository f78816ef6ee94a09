"""Sealing a signed contract: render it with its audit certificate, sign the PDF (PAdES) with the
deployment's certificate, store it, and move the contract to `sealed`.

Runs in the worker (contracts.tasks.contract_seal), queued when a customer signs. A failure moves
the contract to `seal_failed` and the task retries; the Signature row is only ever read here, so
nothing the customer did can be lost by a failed seal.
"""

from __future__ import annotations

import hashlib
import secrets
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, sign_pdf

from contracts.models import Contract, Signature
from contracts.pdf import contract_pdf_render
from contracts.services.certificate import seal_credentials
from contracts.services.events import Actor
from contracts.services.status import contract_lock, contract_transition
from inkwell.queue import enqueue_on_commit

S = Contract.Status
SEALABLE = frozenset({S.SIGNED, S.SEAL_FAILED})
SEAL_FIELD = "InkwellSeal"


class ContractSealFailed(Exception):
    """Sealing did not happen this time (the contract is now `seal_failed`); trying again may work."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def contract_pdf_seal(*, pdf: bytes, reference: str) -> bytes:
    """Sign `pdf` with the deployment's certificate: a PAdES certification signature that allows no
    later change, so an added page or any incremental edit breaks it as surely as a changed byte.

    Call it outside a running event loop (pyHanko's `sign_pdf` runs one of its own).
    """
    meta = PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=f"Seal of signed contract {reference}",
        location=settings.INKWELL_DOMAIN,
    )
    output = sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=seal_credentials().signer)
    return output.getvalue()


def contract_seal(*, contract_id: int) -> bool:
    """Seal the signed contract `contract_id` (in the current tenant's schema).

    Idempotent: a contract already sealed (or not signed) is left alone, and False is returned.
    On any failure the contract becomes `seal_failed` (an event names the error's class, never its
    message, which could hold a path or a key's detail) and ContractSealFailed is raised for the
    caller to retry.
    """
    try:
        return _seal(contract_id)
    except Exception as exc:
        _seal_failure_record(contract_id=contract_id, error=exc)
        raise ContractSealFailed(f"Sealing contract {contract_id} failed: {type(exc).__name__}") from exc


@transaction.atomic(durable=True)
def _seal(contract_id: int) -> bool:
    # The row lock is held while rendering and signing (a few hundred ms), so two deliveries of the
    # same task can't both seal: the second waits, then finds the contract sealed.
    contract = contract_lock(contract_id)
    if contract.status not in SEALABLE:
        return False
    Signature.objects.get(contract=contract)  # a signed contract without its signature is not sealed
    credentials = seal_credentials()
    unsealed = contract_pdf_render(
        contract=contract,
        extra={"seal_fingerprint": credentials.fingerprint, "deployment": settings.INKWELL_PUBLIC_URL},
    )
    sealed = contract_pdf_seal(pdf=unsealed, reference=contract.reference)
    # Per tenant, and not guessable from the reference alone.
    name = f"{connection.schema_name}/{contract.reference}-{secrets.token_urlsafe(12)}.pdf"
    contract.sealed_pdf.save(name, ContentFile(sealed), save=False)
    try:
        contract.unsealed_sha256 = sha256_hex(unsealed)
        contract.sealed_sha256 = sha256_hex(sealed)
        contract.save(update_fields=["sealed_pdf", "unsealed_sha256", "sealed_sha256", "updated"])
        contract_transition(
            contract=contract,
            to=S.SEALED,
            actor=Actor.system(),
            data={
                "unsealed_sha256": contract.unsealed_sha256,
                "sealed_sha256": contract.sealed_sha256,
                "certificate_sha256": credentials.fingerprint,
            },
        )
    except BaseException:
        contract.sealed_pdf.storage.delete(contract.sealed_pdf.name)  # no orphan file for a rolled-back seal
        raise
    return True


@transaction.atomic
def _seal_failure_record(*, contract_id: int, error: Exception) -> None:
    contract = contract_lock(contract_id)
    if contract.status in SEALABLE:
        contract_transition(
            contract=contract,
            to=S.SEAL_FAILED,
            actor=Actor.system(),
            event="seal_failed",
            data={"error": type(error).__name__},
        )


def contract_seal_queue(sender, *, contract: Contract, **kwargs) -> None:
    """Receiver of `contracts.signals.contract_signed`: seal once the signature has committed."""
    from contracts.tasks import contract_seal as contract_seal_task

    enqueue_on_commit(contract_seal_task, contract_id=contract.pk)
