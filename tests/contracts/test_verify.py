"""Verification of sealed contract PDFs: only an intact file sealed by this deployment passes."""

import dataclasses
import hashlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tenants.utils import tenant_context
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, sign_pdf

from contracts.models import Contract
from contracts.services import certificate, verify
from contracts.services.verify import contract_pdf_verify
from tests.conftest import client_for
from tests.contracts.sealing_helpers import seal_once


@pytest.fixture(scope="module")
def pdf(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return seal_once(django_db_setup["alpha"])


def test_a_sealed_contract_verifies(pdf):
    result = contract_pdf_verify(data=pdf.sealed)
    assert result.ok and result.reference == pdf.reference
    assert "Intact" in result.reason


def test_one_flipped_byte_fails(pdf):
    data = bytearray(pdf.sealed)
    at = data.index(b"stream\n") + 40  # inside the first page's content, well within the signed bytes
    data[at] ^= 0x01
    result = contract_pdf_verify(data=bytes(data))
    assert not result.ok and "changed" in result.reason


def test_bytes_appended_after_the_end_fail(pdf):
    assert pdf.sealed.rstrip().endswith(b"%%EOF")
    result = contract_pdf_verify(data=pdf.sealed + b"\n% a note added later\n")
    assert not result.ok and result.reason == "Something was added to the PDF after it was sealed."


def test_a_page_added_by_an_incremental_update_fails(pdf):
    writer = IncrementalPdfFileWriter(BytesIO(pdf.sealed))
    content = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (Extra) Tj ET"))
    page = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Page"),
            generic.pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (0, 0, 595, 842)]
            ),
            generic.pdf_name("/Resources"): generic.DictionaryObject(),
            generic.pdf_name("/Contents"): content,
        }
    )
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    result = contract_pdf_verify(data=out.getvalue())
    assert not result.ok and "page added" in result.reason


def test_a_pdf_validly_sealed_by_another_certificate_fails(pdf, tmp_path):
    certificate.seal_certificate_generate(directory=tmp_path / "other")
    other = certificate._load(tmp_path / "other" / "cert.pem", tmp_path / "other" / "key.pem", "", False)
    meta = PdfSignatureMetadata(
        field_name="InkwellSeal", md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        certify=True, docmdp_permissions=MDPPerm.NO_CHANGES,
    )  # fmt: skip
    forged = sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf.unsealed)), meta, signer=other.signer).getvalue()
    result = contract_pdf_verify(data=forged)
    assert not result.ok and result.reason == "This PDF was not sealed by this deployment."


def test_the_signer_certificate_must_be_this_deployments_exactly(pdf, monkeypatch):
    # Valid, intact and trusted, but the fingerprint on record differs (say, after a key rotation):
    # the fingerprint comparison alone must refuse it.
    ours = certificate.seal_credentials()
    monkeypatch.setattr(verify, "seal_credentials", lambda: dataclasses.replace(ours, fingerprint="0" * 64))
    result = contract_pdf_verify(data=pdf.sealed)
    assert not result.ok and result.reason == "This PDF was not sealed by this deployment."


def test_an_unsealed_pdf_and_a_non_pdf_fail(pdf):
    assert (
        contract_pdf_verify(data=pdf.unsealed).reason == "This PDF has no seal: it is not a sealed contract."
    )
    assert contract_pdf_verify(data=b"hello").reason == "This is not a PDF file that can be read."


def test_the_command_prints_the_verdict_and_exits_non_zero_when_not_intact(pdf, tmp_path, capsys):
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf.sealed)
    bad.write_bytes(pdf.sealed + b"junk")
    call_command("contract_verify", str(good))
    assert capsys.readouterr().out.startswith(f"INTACT: Intact: contract {pdf.reference}")
    with pytest.raises(SystemExit) as exit_:
        call_command("contract_verify", str(bad))
    assert exit_.value.code == 1 and capsys.readouterr().out.startswith("NOT INTACT:")


# --- the dashboard page ------------------------------------------------------------------------------


def upload(world, user, data: bytes, name="contract.pdf"):
    return client_for(world, user).post("/contracts/verify/", {"pdf": SimpleUploadedFile(name, data)})


def test_the_verify_page_is_for_members_only(alpha, beta):
    assert client_for(alpha).get("/contracts/verify/").status_code == 302  # to sign-in
    assert client_for(alpha, beta.owner).get("/contracts/verify/").status_code == 404
    assert client_for(alpha, alpha.member).get("/contracts/verify/").status_code == 200


def test_the_page_names_this_businesss_contract(pdf, alpha, make_contract):
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(
            reference=pdf.reference, sealed_sha256=hashlib.sha256(pdf.sealed).hexdigest()
        )
    response = upload(alpha, alpha.member, pdf.sealed)
    assert response.status_code == 200
    assert b"Intact." in response.content
    assert f"It is contract {pdf.reference} of Alpha Movers, with Ada Client.".encode() in response.content


def test_a_person_in_two_businesses_sees_anothers_contract_is_not_theirs(pdf, alpha, beta, make_contract):
    from tenants.models import Membership

    Membership.objects.create(user=alpha.member, tenant=beta.tenant, role=Membership.Role.MEMBER)
    contract = make_contract(alpha)
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(
            reference=pdf.reference, sealed_sha256=hashlib.sha256(pdf.sealed).hexdigest()
        )
    response = upload(beta, alpha.member, pdf.sealed)
    assert b"Intact." in response.content and b"It is not a contract of Beta Shipping." in response.content
    assert b"Ada Client" not in response.content


def test_a_tampered_upload_is_reported_not_intact(pdf, alpha):
    response = upload(alpha, alpha.owner, pdf.sealed + b"junk")
    assert b"Not intact." in response.content and b"added to the PDF after it was sealed" in response.content


def test_uploads_over_10_mb_get_a_clear_error(alpha, monkeypatch):
    at_limit = upload(alpha, alpha.owner, b"x" * verify.MAX_BYTES)
    assert at_limit.status_code == 200 and b"not a PDF file" in at_limit.content
    response = upload(alpha, alpha.owner, b"x" * (verify.MAX_BYTES + 1))
    assert response.status_code == 400 and b"a sealed contract is at most 10 MB" in response.content


def test_the_served_application_lets_a_10_mb_pdf_through_to_the_page_only():
    from django.conf import settings

    from inkwell.asgi import application

    assert application.larger == {"/contracts/verify/": settings.REQUEST_BODY_LARGER["/contracts/verify/"]}
    assert verify.MAX_BYTES + 64 * 1024 < application.larger["/contracts/verify/"] < 11 * 1024 * 1024


def test_the_body_limit_gives_the_verify_page_its_own_larger_limit():
    import asyncio

    from inkwell.bodylimit import BodySizeLimit

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def status(path: str, size: int) -> int:
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"x" * size, "more_body": False}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "path": path, "headers": [(b"content-length", str(size).encode())]}
        asyncio.run(
            BodySizeLimit(app, max_bytes=1000, larger={"/contracts/verify/": 2000})(scope, receive, send)
        )
        return sent[0]["status"]

    assert status("/contracts/verify/", 2000) == 200 and status("/contracts/verify/", 2001) == 413
    assert status("/dashboard/settings/", 1001) == 413
