"""The deployment's seal: the certificate and key that sign (PAdES) every sealed contract PDF.

Production configures its own pair by path (INKWELL_SEAL_CERT / INKWELL_SEAL_KEY, see README.md).
Unconfigured, a self-signed EC P-256 pair is generated on first use under the state directory and
kept: a PDF verifies as "sealed by this deployment" only against the certificate that sealed it.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

# A seal must still verify years after signing, so the generated certificate outlives the contracts.
GENERATED_VALIDITY = timedelta(days=25 * 365)


@dataclass(frozen=True)
class SealCredentials:
    signer: SimpleSigner
    certificate: asn1_x509.Certificate
    fingerprint: str  # SHA-256 of the certificate's DER encoding, hex


def certificate_fingerprint(certificate: asn1_x509.Certificate) -> str:
    """The SHA-256 of the certificate's DER: how a seal's signer is matched to this deployment's."""
    return hashlib.sha256(certificate.dump()).hexdigest()


def seal_credentials() -> SealCredentials:
    """The deployment's seal, loaded once per process (generated first when none is configured)."""
    return _load(
        settings.SEAL_CERT_FILE, settings.SEAL_KEY_FILE, settings.SEAL_KEY_PASSPHRASE, settings.SEAL_GENERATE
    )


@functools.lru_cache(maxsize=4)
def _load(cert_file: Path, key_file: Path, passphrase: str, generate: bool) -> SealCredentials:
    if generate and not cert_file.exists():
        seal_certificate_generate(directory=cert_file.parent)
    certificate = load_cert_from_pemder(str(cert_file))
    key = load_private_key_from_pemder(str(key_file), passphrase=passphrase.encode() or None)
    signer = SimpleSigner(
        signing_cert=certificate,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([certificate]),
    )
    return SealCredentials(
        signer=signer, certificate=certificate, fingerprint=certificate_fingerprint(certificate)
    )


def _seal_pair(subject: str) -> tuple[bytes, bytes]:
    """A new self-signed EC P-256 certificate and its key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, subject),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Inkwell"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + GENERATED_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # pyHanko requires non-repudiation (content commitment) on a certificate that signs documents.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def seal_certificate_generate(*, directory: Path) -> bool:
    """Create `directory` holding a new seal pair (cert.pem, key.pem), unless it already exists.

    Safe when several processes start at once: each writes a complete pair into a private staging
    directory and renames it into place; a rename onto a directory that already holds a pair fails,
    so the first one wins and every process then loads that same pair. Returns whether this call won.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".seal-", dir=directory.parent))  # mode 0700
    try:
        cert_pem, key_pem = _seal_pair(f"Inkwell contract seal ({settings.INKWELL_DOMAIN})")
        (staging / "cert.pem").write_bytes(cert_pem)
        key_path = staging / "key.pem"
        key_path.touch(mode=0o600)
        key_path.write_bytes(key_pem)
        try:
            os.rename(staging, directory)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            return False
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
