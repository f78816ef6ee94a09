"""Is this PDF an intact contract sealed by this deployment? (`manage.py contract_verify`, the
dashboard's verify page.)

A seal that pyHanko calls valid is not enough on its own: bytes appended after %%EOF still leave a
valid signature over the bytes it covers. So the verdict needs all of: the signature is valid and
trusted, it covers the entire file, the document allows no modification since, and the signer's
certificate is exactly this deployment's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from contracts.services.certificate import certificate_fingerprint, seal_credentials
from contracts.services.sealing import SEAL_FIELD

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    reason: str
    reference: str | None = None


def _reference(reader: PdfFileReader) -> str | None:
    """The contract reference the renderer writes as the document's subject."""
    try:
        subject = reader.trailer_view["/Info"].get("/Subject")
    except (KeyError, TypeError):
        return None
    return str(subject) if subject else None


def contract_pdf_verify(*, data: bytes) -> VerifyResult:
    """The verdict on `data`: ok only for an intact contract PDF sealed by this deployment.

    Call it outside a running event loop (it runs pyHanko's validation in one of its own).
    """
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return VerifyResult(False, "This is not a PDF file that can be read.")
    if not signatures:
        return VerifyResult(False, "This PDF has no seal: it is not a sealed contract.")
    if len(signatures) > 1 or signatures[0].field_name != SEAL_FIELD:
        return VerifyResult(False, "This PDF carries signatures other than the contract's seal.")
    credentials = seal_credentials()
    context = ValidationContext(trust_roots=[credentials.certificate], allow_fetching=False)
    try:
        status = asyncio.run(async_validate_pdf_signature(signatures[0], signer_validation_context=context))
    except Exception:
        return VerifyResult(False, "The seal of this PDF cannot be checked: the file is damaged.")
    reference = _reference(reader)
    if not status.bottom_line:  # valid, intact, trusted, and no modification the seal forbids
        return VerifyResult(False, _why_not(status), reference)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return VerifyResult(False, "Something was added to the PDF after it was sealed.", reference)
    if certificate_fingerprint(status.signing_cert) != credentials.fingerprint:
        return VerifyResult(False, "This PDF was not sealed by this deployment.", reference)
    return VerifyResult(
        True, f"Intact: contract {reference}, sealed by this deployment and unchanged since.", reference
    )


def _why_not(status) -> str:
    if not status.intact or not status.valid:
        return "The PDF was changed after it was sealed."
    if status.docmdp_ok is False:
        return "The PDF was modified (for example, a page added) after it was sealed."
    if not status.trusted:
        return "This PDF was not sealed by this deployment."
    return "The seal of this PDF is not valid."
