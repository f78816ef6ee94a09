"""The customer's side of a contract: opening the link, the optional SMS code, and signing.

Signing happens exactly once. The contract row is locked, its status must still be open for
signing, and the signature's primary key is the contract's, so even a caller that skipped the lock
could not store a second one. What the customer saw is pinned by the SHA-256 of the document text
(`contract_document_text`): the page carries the hash it showed, and signing is refused when the
contract no longer hashes the same.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from contracts.error_codes import ContractErrorCode
from contracts.models import Contract, PortalSettings, Signature, SigningCode
from contracts.services.events import Actor, contract_event_record
from contracts.services.status import contract_lock, contract_transition
from contracts.signals import contract_signed
from inkwell.errors import Conflict, DomainError
from inkwell.ratelimit import rate_limit_delivery
from tenants.messaging import SmsDeliveryError, render_text, sms_send

S = Contract.Status
SIGNABLE = {S.SENT, S.VIEWED}
ALREADY_SIGNED = {S.SIGNED, S.SEALED, S.SEAL_FAILED}

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_DATA_URL = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 200 * 1024
# A phone canvas at 3× pixel density is ~1,200 × 600; anything far larger is not a drawn signature.
SIGNATURE_MAX_PIXELS = 4_000_000

CODE_TTL = timedelta(minutes=10)
CODE_MAX_FAILURES = 5
CODE_GONE = "This code has expired or was entered wrong too often. Ask for a new one."


class SigningCodeFailed(DomainError):
    status_code = 400
    default_code = "invalid_code"


# --- What the customer is shown, and its hash -------------------------------------------------------


def _money(amount) -> str:
    return f"{amount:,.2f}"


def contract_summary(contract: Contract) -> list[tuple[str, str]]:
    """The summary lines shown above the terms (label, value), in order. Empty values are left out."""
    pickup = ""
    if contract.pickup_from or contract.pickup_to:
        pickup = " – ".join(str(day) for day in [contract.pickup_from, contract.pickup_to] if day)
    insurance = contract.get_insurance_display()
    if contract.insurance != Contract.Insurance.DECLINED:
        insurance += (
            f" — {contract.insurance_rate}% of {_money(contract.declared_value)} {contract.currency}"
            f" = {_money(contract.insurance_cost)} {contract.currency}"
        )
    lines = [
        ("Reference", contract.reference),
        ("Customer", contract.customer_name),
        ("Vehicle", contract.vehicle),
        ("VIN", contract.vehicle_vin),
        ("From", contract.origin),
        ("To", contract.destination),
        ("Service", contract.get_service_type_display()),
        ("Rate", f"{_money(contract.rate)} {contract.currency}"),
        ("Insurance", insurance),
        ("Pickup window", pickup),
        ("Payment terms", contract.payment_terms),
        ("Inclusions", contract.inclusions),
    ]
    return [(label, value) for label, value in lines if value]


def contract_document_text(contract: Contract) -> str:
    """The canonical text of the document the customer signs: the summary, the frozen terms and the
    consent statement, exactly as shown. Its SHA-256 is what the signature records."""
    version = contract.template.version if contract.template_id else ""
    parts = [
        *(f"{label}: {value}" for label, value in contract_summary(contract)),
        f"Terms version: {version}",
        "",
        contract.terms_snapshot.strip(),
        "",
        contract.consent_snapshot.strip(),
    ]
    return "\n".join(parts) + "\n"


def contract_document_sha256(contract: Contract) -> str:
    """The SHA-256 of the document the customer is shown, recorded with the signature; a sign form
    posted with another value is for a document that changed since."""
    return hashlib.sha256(contract_document_text(contract).encode()).hexdigest()


# --- Opening the link -------------------------------------------------------------------------------


@transaction.atomic
def contract_view(*, contract: Contract, actor: Actor) -> Contract:
    """Record the customer's first look at a sent contract ("viewed"); later looks record nothing."""
    if contract.status != S.SENT:
        return contract
    locked = contract_lock(contract.pk)
    if locked.status == S.SENT:
        contract_transition(contract=locked, to=S.VIEWED, actor=actor)
    return locked


# --- The drawn signature ----------------------------------------------------------------------------


def signature_png_from_data_url(value: str) -> bytes:
    """The PNG bytes of a signature pad's data URL ("data:image/png;base64,..."); b"" when empty.

    Raises ValidationError unless it is a real, non-blank PNG of reasonable size.
    """
    value = (value or "").strip()
    if not value:
        return b""
    if not value.startswith(PNG_DATA_URL):
        raise ValidationError(
            "The drawn signature must be a PNG image.", code=ContractErrorCode.INVALID_SIGNATURE
        )
    # base64 is 4/3 the size: refuse before decoding anything oversized.
    if len(value) - len(PNG_DATA_URL) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError("The drawn signature is too large.", code=ContractErrorCode.SIGNATURE_TOO_LARGE)
    try:
        data = base64.b64decode(value[len(PNG_DATA_URL) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            "The drawn signature could not be read.", code=ContractErrorCode.INVALID_SIGNATURE
        ) from None
    signature_png_check(data)
    return data


def signature_png_check(data: bytes) -> None:
    """Refuse anything but a real PNG (magic bytes and a full decode) with some ink on it."""
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ValidationError("The drawn signature is too large.", code=ContractErrorCode.SIGNATURE_TOO_LARGE)
    if not data.startswith(PNG_MAGIC):
        raise ValidationError(
            "The drawn signature must be a PNG image.", code=ContractErrorCode.INVALID_SIGNATURE
        )
    try:
        # verify() walks every chunk and its checksum: a truncated or corrupt file fails here even where
        # another library (WeasyPrint) has told Pillow to accept truncated images process-wide.
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG" or image.width * image.height > SIGNATURE_MAX_PIXELS:
                raise ValidationError(
                    "The drawn signature is not a usable image.", code=ContractErrorCode.INVALID_SIGNATURE
                )
            image.load()  # decodes every pixel
            blank = image.convert("RGBA").getchannel("A").getbbox() is None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            "The drawn signature could not be read.", code=ContractErrorCode.INVALID_SIGNATURE
        ) from None
    if blank:
        raise ValidationError("The drawn signature is empty.", code=ContractErrorCode.SIGNATURE_EMPTY)


# --- The optional SMS code --------------------------------------------------------------------------


def _challenge_digest(challenge: str) -> str:
    return hashlib.sha256(challenge.encode()).hexdigest()


def _code_digest(challenge_digest: str, code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{challenge_digest}:{code}".encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def contract_code_send(*, contract: Contract, actor: Actor) -> str:
    """Text a 6-digit signing code to the customer's phone and return the challenge the browser keeps
    (in its session). A new code replaces any earlier one for this browser only."""
    if not contract.customer_phone:
        raise DomainError(
            "This contract has no phone number to text a code to.", code=ContractErrorCode.NO_PHONE
        )
    if contract.status not in SIGNABLE:
        raise Conflict("This contract can no longer be signed.", code=ContractErrorCode.ALREADY_SIGNED)
    # Whoever holds the link could otherwise text the customer's phone without end.
    rate_limit_delivery(
        scope="contract-code",
        address=f"{connection.tenant.pk}:{contract.customer_phone}",
        ip=actor.ip,
        message="Too many codes asked for. Wait a few minutes and try again.",
    )
    challenge = secrets.token_urlsafe(16)
    digest = _challenge_digest(challenge)
    code = f"{secrets.randbelow(1_000_000):06d}"
    SigningCode.objects.create(
        contract=contract,
        challenge_digest=digest,
        code_digest=_code_digest(digest, code),
        expires_at=timezone.now() + CODE_TTL,
    )
    context = {
        "brand": connection.tenant.config.brand_name,
        "contract": contract,
        "code": code,
        "minutes": int(CODE_TTL.total_seconds() // 60),
    }
    try:
        sms_send(
            to=contract.customer_phone,
            body=render_text("sms/contracts/signing_code.txt", context).strip(),
            tenant=connection.tenant,
            secret=code,
        )
    except SmsDeliveryError:
        raise DomainError(
            "We couldn't text the code. Try again in a minute.", code=ContractErrorCode.SMS_FAILED
        ) from None
    contract_event_record(contract=contract, kind="code_sent", actor=actor)
    return challenge


def contract_code_verify(*, contract: Contract, challenge: str, code: str, actor: Actor) -> None:
    """Check the code typed in this browser. The fifth wrong try, or the code's expiry, burns it."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        raise ValidationError("Enter the 6 digits from the SMS.", code=ContractErrorCode.INVALID_CODE)
    with transaction.atomic():
        found = (
            SigningCode.objects.select_for_update()
            .filter(contract=contract, challenge_digest=_challenge_digest(challenge or ""))
            .first()
        )
        if found is None or found.expires_at <= timezone.now() or found.failed_attempts >= CODE_MAX_FAILURES:
            raise SigningCodeFailed(CODE_GONE)
        if found.verified_at is not None:
            return
        if hmac.compare_digest(found.code_digest, _code_digest(found.challenge_digest, code)):
            found.verified_at = timezone.now()
            found.save(update_fields=["verified_at"])
            contract_event_record(contract=contract, kind="code_verified", actor=actor)
            return
        SigningCode.objects.filter(pk=found.pk).update(failed_attempts=F("failed_attempts") + 1)
        left = CODE_MAX_FAILURES - found.failed_attempts - 1
    # Raised after the commit, so the counted try sticks.
    raise SigningCodeFailed(
        f"That code is not right. {left} {'try' if left == 1 else 'tries'} left." if left else CODE_GONE
    )


def contract_code_verified(*, contract: Contract, challenge: str | None) -> bool:
    """Whether this browser (its session's challenge) has confirmed a code for `contract`."""
    if not challenge:
        return False
    return SigningCode.objects.filter(
        contract=contract, challenge_digest=_challenge_digest(challenge), verified_at__isnull=False
    ).exists()


# --- Signing ----------------------------------------------------------------------------------------


def contract_sign(
    *,
    contract: Contract,
    signer_name: str,
    consent: bool,
    image_png: bytes,
    document_sha256: str,
    actor: Actor,
    code_challenge: str | None = None,
) -> Signature:
    """Sign `contract` as its customer, once. Returns the Signature.

    Raises ValidationError (signer_name, consent, signature) for a form that isn't complete, Conflict
    (409) when the contract is signed already, can't be signed, or changed since it was shown, and
    a DomainError (400, code_required) when the tenant asks for an SMS code this browser hasn't confirmed.
    Nothing is stored unless everything holds. Receivers of `contract_signed` (sealing) run inside
    this transaction.
    """
    signer_name = " ".join((signer_name or "").split())
    errors = {}
    if not signer_name:
        errors["signer_name"] = ["Type your full name."]
    elif len(signer_name) > Signature._meta.get_field("signer_name").max_length:
        errors["signer_name"] = ["That name is too long."]
    if not consent:
        errors["consent"] = ["Tick the box to agree to the contract."]
    if image_png:
        try:
            signature_png_check(image_png)
        except ValidationError as exc:
            errors["signature"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return _sign_locked(
            contract_id=contract.pk,
            signer_name=signer_name,
            image_png=image_png,
            document_sha256=document_sha256,
            actor=actor,
            code_challenge=code_challenge,
        )


def _sign_locked(*, contract_id, signer_name, image_png, document_sha256, actor, code_challenge) -> Signature:
    locked = contract_lock(contract_id)
    if locked.status in ALREADY_SIGNED:
        raise Conflict(
            f"Contract {locked.reference} is signed already.", code=ContractErrorCode.ALREADY_SIGNED
        )
    if locked.status not in SIGNABLE:
        raise Conflict(
            f"Contract {locked.reference} can no longer be signed.", code=ContractErrorCode.ILLEGAL_TRANSITION
        )
    if document_sha256 != contract_document_sha256(locked):  # the page's hash; not a secret
        raise Conflict(
            "This contract changed since the page was opened. Reload the page and read it again.",
            code=ContractErrorCode.DOCUMENT_CHANGED,
        )
    if PortalSettings.load().require_sms_code and not contract_code_verified(
        contract=locked, challenge=code_challenge
    ):
        raise DomainError(
            "Confirm the code we texted you before signing.", code=ContractErrorCode.CODE_REQUIRED
        )
    contract_transition(
        contract=locked,
        to=S.SIGNED,
        actor=actor,
        event="signed",
        data={"signer_name": signer_name, "document_sha256": document_sha256, "drawn": bool(image_png)},
    )
    signature = Signature.objects.create(
        contract=locked,
        signer_name=signer_name,
        image_png=image_png,
        signed_at=locked.signed_at,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:500],
        consent_text=locked.consent_snapshot,
        terms_version=locked.template.version if locked.template_id else None,
        document_sha256=document_sha256,
    )
    contract_signed.send(sender=Contract, contract=locked)
    from chat.services.events import actor_label_of, event_emit

    event_emit(
        type="contract.signed",
        data={"contract": locked.pk, "reference": locked.reference, "service_type": locked.service_type},
        actor_label=actor_label_of(actor),
    )
    return signature
