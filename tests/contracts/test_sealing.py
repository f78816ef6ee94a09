"""Sealing: a signature is sealed into a stored PDF by the worker; failures retry and never lose it.
And the deployment's certificate: generated once (race-safely) unless configured."""

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from contracts.models import Contract, Signature
from contracts.services import certificate, sealing
from contracts.services.sealing import ContractSealFailed, contract_seal, sha256_hex
from contracts.services.verify import contract_pdf_verify
from inkwell.celery import app
from tests.contracts.sealing_helpers import sign

S = Contract.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def signed(world, make_contract, send, capture, *, execute=True) -> Contract:
    """A contract of `world` signed by its customer, with what the signing queued run (or not)."""
    contract = send(world, make_contract(world))
    with tenant_context(world.tenant), capture(execute=execute):
        return sign(world, contract)


def snapshot(signature: Signature) -> dict:
    return {f.attname: getattr(signature, f.attname) for f in Signature._meta.concrete_fields}


def test_a_signature_is_sealed_into_a_stored_pdf(
    alpha, make_contract, send, django_capture_on_commit_callbacks
):
    contract = signed(alpha, make_contract, send, django_capture_on_commit_callbacks)
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.status == S.SEALED and contract.sealed_at is not None
        assert re.fullmatch(
            rf"contracts/t_alpha/{contract.reference}-[\w-]{{16}}\.pdf", contract.sealed_pdf.name
        )
        data = default_storage.open(contract.sealed_pdf.name).read()
        assert sha256_hex(data) == contract.sealed_sha256
        assert (
            re.fullmatch(r"[0-9a-f]{64}", contract.unsealed_sha256)
            and contract.unsealed_sha256 != contract.sealed_sha256
        )
        sealed = contract.events.get(kind="sealed")
        assert sealed.actor_type == "system" and sealed.data["sealed_sha256"] == contract.sealed_sha256
        assert sealed.data["certificate_sha256"] == certificate.seal_credentials().fingerprint
    assert contract_pdf_verify(data=data).ok
    # Sealing again changes nothing: the same file, one "sealed" event.
    with tenant_context(alpha.tenant):
        assert contract_seal(contract_id=contract.pk) is False
        again = Contract.objects.get(pk=contract.pk)
        assert again.sealed_pdf.name == contract.sealed_pdf.name
        assert again.events.filter(kind="sealed").count() == 1


def test_a_forced_failure_leaves_seal_failed_with_the_signature_intact_and_a_retry_seals(
    alpha, make_contract, send, django_capture_on_commit_callbacks, monkeypatch, media
):
    contract = signed(alpha, make_contract, send, django_capture_on_commit_callbacks, execute=False)

    def broken_signer(**kwargs):
        raise RuntimeError("HSM at /secret/path said no")

    with tenant_context(alpha.tenant):
        before = snapshot(Signature.objects.get(pk=contract.pk))
        monkeypatch.setattr(sealing, "contract_pdf_seal", broken_signer)
        with pytest.raises(ContractSealFailed):
            contract_seal(contract_id=contract.pk)
        contract.refresh_from_db()
        assert contract.status == S.SEAL_FAILED and not contract.sealed_pdf and not contract.sealed_sha256
        failed = contract.events.get(kind="seal_failed")
        assert failed.data == {"from": "signed", "to": "seal_failed", "error": "RuntimeError"}  # no message
        assert snapshot(Signature.objects.get(pk=contract.pk)) == before

        monkeypatch.undo()
        assert contract_seal(contract_id=contract.pk) is True
        contract.refresh_from_db()
        assert contract.status == S.SEALED and snapshot(Signature.objects.get(pk=contract.pk)) == before
        assert [e.kind for e in contract.events.order_by("pk")][-2:] == ["seal_failed", "sealed"]
    assert [p.name for p in (media / "contracts" / "t_alpha").iterdir()] == [
        Path(contract.sealed_pdf.name).name
    ]


def test_the_task_retries_a_failed_seal(
    alpha, make_contract, send, django_capture_on_commit_callbacks, monkeypatch
):
    real = sealing.contract_pdf_seal
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(sealing, "contract_pdf_seal", fails_once)
    # Eager tasks retry in place (without the countdown) only when their errors don't propagate.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    contract = signed(alpha, make_contract, send, django_capture_on_commit_callbacks)
    with tenant_context(alpha.tenant):
        contract.refresh_from_db()
        assert contract.status == S.SEALED and len(calls) == 2
        kinds = [e.kind for e in contract.events.order_by("pk")]
        assert kinds[-2:] == ["seal_failed", "sealed"]


def test_the_seal_task_gives_up_after_five_retries():
    from contracts.tasks import contract_seal as task

    assert task.max_retries == 5 and task.acks_late
    assert ContractSealFailed in task.autoretry_for and task.retry_backoff == 30


def test_a_failure_after_the_file_is_stored_leaves_no_file(
    alpha, make_contract, send, django_capture_on_commit_callbacks, monkeypatch, media
):
    contract = signed(alpha, make_contract, send, django_capture_on_commit_callbacks, execute=False)

    real = sealing.contract_transition

    def refuse_to_seal(**kwargs):
        if kwargs["to"] == S.SEALED:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(sealing, "contract_transition", refuse_to_seal)
    with tenant_context(alpha.tenant), pytest.raises(ContractSealFailed):
        contract_seal(contract_id=contract.pk)
    assert not list((media / "contracts" / "t_alpha").iterdir())


def test_a_signed_contract_without_its_signature_is_not_sealed(alpha, make_contract, send):
    from django.db import transaction

    from contracts.services.events import Actor
    from contracts.services.status import contract_lock, contract_transition

    contract = send(alpha, make_contract(alpha))
    with tenant_context(alpha.tenant):
        with transaction.atomic():
            contract_transition(contract=contract_lock(contract.pk), to=S.SIGNED, actor=Actor.system())
        with pytest.raises(ContractSealFailed):
            contract_seal(contract_id=contract.pk)
        contract.refresh_from_db()
        assert contract.status == S.SEAL_FAILED and not contract.sealed_pdf
        assert contract.events.get(kind="seal_failed").data["error"] == "DoesNotExist"


def test_an_unsigned_contract_is_not_sealed(alpha, make_contract, send):
    contract = send(alpha, make_contract(alpha))
    with tenant_context(alpha.tenant):
        assert contract_seal(contract_id=contract.pk) is False
        contract.refresh_from_db()
        assert contract.status == S.SENT and not contract.sealed_pdf


# --- the deployment's certificate --------------------------------------------------------------------


def test_the_generated_certificate_is_ec_p256_for_signing_documents_and_its_key_is_private(tmp_path):
    assert certificate.seal_certificate_generate(directory=tmp_path / "seal") is True
    cert = x509.load_pem_x509_certificate((tmp_path / "seal" / "cert.pem").read_bytes())
    assert (
        isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        and cert.public_key().curve.name == "secp256r1"
    )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert (
        cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == "Inkwell contract seal (localhost)"
    )
    assert (tmp_path / "seal" / "key.pem").stat().st_mode & 0o077 == 0
    assert (tmp_path / "seal").stat().st_mode & 0o077 == 0


def test_workers_generating_at_once_all_use_the_first_pair(tmp_path):
    target, barrier, won = tmp_path / "seal", threading.Barrier(6), []

    def generate():
        barrier.wait()
        won.append(certificate.seal_certificate_generate(directory=target))

    threads = [threading.Thread(target=generate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won.count(True) == 1
    first = (target / "cert.pem").read_bytes()
    # A process that staged its own pair later must not replace the one others already use.
    assert certificate.seal_certificate_generate(directory=target) is False
    assert (target / "cert.pem").read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["seal"]  # no staging directory left behind


def test_a_configured_pair_is_used_and_never_generated(settings, tmp_path):
    certificate.seal_certificate_generate(directory=tmp_path / "made")
    key = serialization.load_pem_private_key((tmp_path / "made" / "key.pem").read_bytes(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    (tmp_path / "prod-key.pem").write_bytes(encrypted)
    settings.SEAL_GENERATE = False
    settings.SEAL_CERT_FILE = tmp_path / "made" / "cert.pem"
    settings.SEAL_KEY_FILE = tmp_path / "prod-key.pem"
    settings.SEAL_KEY_PASSPHRASE = "pw"
    loaded = certificate.seal_credentials()
    assert loaded.fingerprint == certificate.certificate_fingerprint(
        certificate.load_cert_from_pemder(str(tmp_path / "made" / "cert.pem"))
    )
    settings.SEAL_CERT_FILE = tmp_path / "missing" / "cert.pem"
    with pytest.raises(OSError):
        certificate.seal_credentials()
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    "env, refusal",
    [
        ({"INKWELL_SEAL_CERT": "/etc/inkwell/seal.pem"}, "Set both INKWELL_SEAL_CERT and INKWELL_SEAL_KEY"),
        ({"INKWELL_SEAL_KEY": "/etc/inkwell/seal.key"}, "Set both INKWELL_SEAL_CERT and INKWELL_SEAL_KEY"),
    ],
)
def test_settings_refuse_half_a_seal_configuration(env, refusal):
    result = subprocess.run(
        [sys.executable, "-c", "import inkwell.settings"],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and refusal in result.stderr
