"""Sealing a signed contract: render it with its audit certificate, sign the PDF (PAdES) with the
deployment's certificate, store it, and move the contract to `sealed`.

Runs in the worker (contracts.tasks.contract_seal), queued when a customer signs. A failure moves
the contract to `seal_failed` and the task retries; the Signature row is only ever read here, so
nothing the customer did can be lost by a failed seal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, sign_pdf

from contracts.models import Contract, ContractEvent, Signature
from contracts.pdf import contract_pdf_render
from contracts.services.certificate import seal_credentials
from contracts.services.events import Actor, contract_event_record
from contracts.services.status import contract_lock, contract_transition
from inkwell.queue import enqueue_on_commit

S = Contract.Status
SEALABLE = frozenset({S.SIGNED, S.SEAL_FAILED})
SEAL_FIELD = "InkwellSeal"


class ContractSealFailed(Exception):
    """Sealing did not happen this time (the contract is now `seal_failed`); trying again may work."""


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of a PDF as stored on the contract (unsealed_sha256, sealed_sha256)."""
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


# --- Stuck seals: re-queued by the hourly sweep ------------------------------------------
# A seal queued at signing runs within seconds, so a contract still `signed` after this long had its
# task lost (the broker was down at commit, or the message was dropped).
SIGNED_STUCK_AFTER = dt.timedelta(minutes=15)
# The task's own retries are over ~16 minutes after the first failure (backoff 30 s … 8 min, six
# tries), so an hour after the last failed attempt nothing of the task is left to run.
SEAL_FAILED_RETRY_AFTER = dt.timedelta(hours=1)
# Each re-queue runs the task's full set of tries again; a failure that persists is retried ever
# more rarely (1, 2, 4 … hours, then daily) so it doesn't fill the audit trail with six events an hour.
SEAL_FAILED_RETRY_MAX = dt.timedelta(days=1)
REQUEUED = "seal_requeued"


def seal_requeue_wait(*, status: str, requeued: int) -> dt.timedelta:
    """How long after its last attempt a contract in `status`, re-queued `requeued` times, is re-queued."""
    if status == S.SIGNED:
        return SIGNED_STUCK_AFTER
    return min(SEAL_FAILED_RETRY_AFTER * 2 ** min(requeued, 10), SEAL_FAILED_RETRY_MAX)


def contracts_seal_requeue_due(*, now: dt.datetime | None = None) -> int:
    """Queue the seal again for contracts whose sealing stopped: `signed` for SIGNED_STUCK_AFTER, or
    `seal_failed` with its last attempt SEAL_FAILED_RETRY_AFTER ago (doubling with each re-queue, up to
    SEAL_FAILED_RETRY_MAX). Each re-queue is audited (`seal_requeued`) and counts as an attempt, so a
    sweep that runs twice queues once. Returns how many were queued."""
    now = now or timezone.now()
    candidates = Contract.objects.filter(status__in=SEALABLE, signed_at__lte=now - SIGNED_STUCK_AFTER)
    requeued = 0
    for pk in candidates.values_list("pk", flat=True):
        requeued += _contract_seal_requeue(contract_id=pk, now=now)
    return requeued


@transaction.atomic
def _contract_seal_requeue(*, contract_id: int, now: dt.datetime) -> int:
    contract = contract_lock(contract_id)
    if contract.status not in SEALABLE:
        return 0  # sealed since
    attempts = ContractEvent.objects.filter(contract=contract).aggregate(
        requeued=Count("pk", filter=Q(kind=REQUEUED)),
        last=Max("created", filter=Q(kind__in=["seal_failed", REQUEUED])),
    )
    last = max(filter(None, [contract.signed_at, attempts["last"]]))
    if now - last < seal_requeue_wait(status=contract.status, requeued=attempts["requeued"]):
        return 0
    contract_event_record(
        contract=contract,
        kind=REQUEUED,
        actor=Actor.system(),
        data={"status": contract.status, "requeue": attempts["requeued"] + 1},
    )
    from contracts.tasks import contract_seal as contract_seal_task

    enqueue_on_commit(contract_seal_task, contract_id=contract.pk)
    return 1
