"""Signing a contract: exactly once, everything recorded, nothing stored for an incomplete form."""

import base64
import io
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image, ImageDraw

from chat.models import DomainEvent
from contracts.models import Contract, ContractEvent, PortalSettings, Signature
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from contracts.services.signing import (
    CODE_MAX_FAILURES,
    SIGNATURE_MAX_BYTES,
    SigningCodeFailed,
    contract_code_send,
    contract_code_verify,
    contract_document_sha256,
    contract_document_text,
    contract_sign,
    signature_png_check,
    signature_png_from_data_url,
)
from contracts.signals import contract_signed
from inkwell.errors import Conflict, DomainError, RateLimited
from tenants.models import OutboundMessage
from tests.conftest import client_for, on_own_connection
from tests.contracts.conftest import CONTRACT_DATA, texted_link

PHONE = CONTRACT_DATA["customer_phone"]
CUSTOMER = Actor(type="customer", ip="203.0.113.5", user_agent="Phone/1.0")


def drawn_png(size=(300, 100), ink=True) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.fixture
def opened(alpha, make_contract, send):
    contract = make_contract(alpha)
    send(alpha, contract)
    return contract, texted_link(PHONE)


def fresh(world, contract) -> Contract:
    with tenant_context(world.tenant):
        return Contract.objects.get(pk=contract.pk)


def sign(world, contract, **overrides):
    with tenant_context(world.tenant):
        current = Contract.objects.get(pk=contract.pk)
        arguments = dict(
            contract=current,
            signer_name="Ada Client",
            consent=True,
            image_png=drawn_png(),
            document_sha256=contract_document_sha256(current),
            actor=CUSTOMER,
        )
        return contract_sign(**arguments | overrides)


def form(world, token, client=None, **overrides):
    """The sign form's fields as the page (seen by `client`, default a new browser) fills them."""
    page = (client or client_for(world)).get(f"/c/{token}/").content.decode()
    digest = page.split('name="document_sha256" value="')[1].split('"')[0]
    return {
        "signer_name": "Ada Client",
        "consent": "on",
        "signature": data_url(drawn_png()),
        "document_sha256": digest,
    } | overrides


def test_signing_on_the_page_records_everything_and_tells_sealing(alpha, opened):
    contract, token = opened
    received = []

    def receiver(sender, contract, **kwargs):
        received.append((contract.pk, contract.status))

    contract_signed.connect(receiver)
    try:
        client = client_for(alpha, HTTP_USER_AGENT="Phone/1.0")
        answer = client.post(f"/c/{token}/sign/", form(alpha, token))
    finally:
        contract_signed.disconnect(receiver)
    assert answer.status_code == 303 and answer["Location"] == f"/c/{token}/"
    assert received == [(contract.pk, "signed")]
    with tenant_context(alpha.tenant):
        contract = Contract.objects.get(pk=contract.pk)
        signature = contract.signature
        assert contract.status == "signed" and contract.signed_at == signature.signed_at
        assert signature.signer_name == "Ada Client" and bytes(signature.image_png) == drawn_png()
        assert signature.ip == "127.0.0.1" and signature.user_agent == "Phone/1.0"
        assert signature.consent_text == contract.consent_snapshot and signature.terms_version == 1
        assert signature.document_sha256 == contract_document_sha256(contract)
        event = ContractEvent.objects.get(contract=contract, kind="signed")
        assert event.actor_type == "customer" and event.data["document_sha256"] == signature.document_sha256
        assert contract.link_digest  # the link keeps working, for tracking
    assert "is signed" in client.get(f"/c/{token}/").content.decode()


def test_a_browser_posting_with_origin_null_can_sign(alpha, opened):
    """Under `Referrer-Policy: no-referrer` a browser's form post says `Origin: null`."""
    contract, token = opened
    browser = client_for(alpha, enforce_csrf_checks=True, HTTP_ORIGIN="null")
    assert browser.post(f"/c/{token}/sign/", form(alpha, token, browser)).status_code == 303


def test_the_document_text_holds_the_summary_terms_and_consent(alpha, opened):
    with tenant_context(alpha.tenant):
        contract = Contract.objects.select_related("template").get(pk=opened[0].pk)
    text = contract_document_text(contract)
    for part in (
        contract.reference,
        "2,450.00 CAD",
        "Antwerp, Belgium",
        "Terms version: 1",
        "Rate and payment",
    ):
        assert part in text
    assert text.rstrip().endswith(contract.consent_snapshot.strip())


def test_a_typed_name_alone_is_accepted(alpha, opened):
    contract, token = opened
    answer = client_for(alpha).post(f"/c/{token}/sign/", form(alpha, token, signature=""))
    assert answer.status_code == 303
    with tenant_context(alpha.tenant):
        assert bytes(Signature.objects.get(contract=contract).image_png) == b""
    page = client_for(alpha).get(f"/c/{token}/")
    assert page.status_code == 200


def test_the_page_says_a_typed_name_is_enough_without_javascript(alpha, opened):
    body = client_for(alpha).get(f"/c/{opened[1]}/").content.decode()
    noscript = body.split("<noscript>")[1].split("</noscript>")[0]
    assert "typed name alone is accepted" in noscript
    assert "signature_pad.umd.min.js" in body and "contracts/sign.js" in body and "<script>" not in body


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"consent": ""}, "consent"),
        ({"signer_name": ""}, "signer_name"),
        ({"signer_name": "   "}, "signer_name"),
        ({"signature": "data:image/jpeg;base64,/9j/4AAQ"}, "signature"),
    ],
)
def test_an_incomplete_form_is_a_400_and_stores_nothing(alpha, opened, overrides, field):
    contract, token = opened
    answer = client_for(alpha).post(f"/c/{token}/sign/", form(alpha, token, **overrides))
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    with tenant_context(alpha.tenant):
        assert not Signature.objects.filter(contract=contract).exists()
        assert Contract.objects.get(pk=contract.pk).status == "viewed"
        assert not ContractEvent.objects.filter(contract=contract, kind="signed").exists()


def test_log_lines_never_carry_a_working_link(alpha, opened, caplog):
    import logging

    contract, token = opened
    with caplog.at_level(logging.INFO):
        assert client_for(alpha).post(f"/c/{token}/sign/", form(alpha, token, consent="")).status_code == 400
        # What uvicorn writes for every request when its access log is on.
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:5000", "GET", f"/c/{token}/contract.pdf", "1.1", 200
        )
    lines = [record.getMessage() for record in caplog.records]
    assert "Bad Request: /c/[redacted]/sign/ on alpha.localhost" in lines
    assert '203.0.113.9:5000 - "GET /c/[redacted]/contract.pdf HTTP/1.1" 200' in lines
    assert not [line for line in lines if token in line]


@pytest.mark.parametrize(
    "overrides, field", [({"consent": False}, "consent"), ({"signer_name": " \t"}, "signer_name")]
)
def test_the_service_refuses_an_incomplete_signature_too(alpha, opened, overrides, field):
    with pytest.raises(ValidationError) as raised:
        sign(alpha, opened[0], **overrides)
    assert field in raised.value.message_dict
    with tenant_context(alpha.tenant):
        assert not Signature.objects.exists()


def test_a_contract_is_signed_once(alpha, opened):
    contract, token = opened
    sign(alpha, contract)
    with pytest.raises(Conflict) as raised:
        sign(alpha, contract, signer_name="Someone Else")
    assert raised.value.code == "already_signed"
    late = {"signer_name": "Someone Else", "consent": "on", "signature": "", "document_sha256": "0" * 64}
    again = client_for(alpha).post(f"/c/{token}/sign/", late)
    assert again.status_code == 409
    with tenant_context(alpha.tenant):
        assert Signature.objects.get(contract=contract).signer_name == "Ada Client"


def test_a_draft_cannot_be_signed(alpha, make_contract):
    draft = make_contract(alpha)
    with pytest.raises(Conflict) as raised:
        sign(alpha, draft)
    assert raised.value.code == "illegal_transition"


def test_a_document_changed_since_it_was_shown_is_not_signed(alpha, opened):
    contract, token = opened
    fields = form(alpha, token)
    with tenant_context(alpha.tenant):
        Contract.objects.filter(pk=contract.pk).update(rate="2500.00")
    answer = client_for(alpha).post(f"/c/{token}/sign/", fields)
    assert answer.status_code == 409 and "changed since" in answer.content.decode()
    with tenant_context(alpha.tenant):
        assert not Signature.objects.exists()


def test_the_signature_image_must_be_a_real_png_of_bounded_size():
    png = drawn_png()
    signature_png_check(png + b"\0" * (SIGNATURE_MAX_BYTES - len(png)))  # at the limit
    with pytest.raises(ValidationError, match="too large"):
        signature_png_check(png + b"\0" * (SIGNATURE_MAX_BYTES - len(png) + 1))
    with pytest.raises(ValidationError, match="must be a PNG"):
        signature_png_check(b"GIF89a" + png)
    with pytest.raises(ValidationError, match="could not be read"):
        signature_png_check(png[:60])  # PNG magic bytes, then a broken file
    with pytest.raises(ValidationError, match="empty"):
        signature_png_check(drawn_png(ink=False))
    with pytest.raises(ValidationError, match="not a usable image"):
        signature_png_check(drawn_png(size=(4000, 1001), ink=False))
    with pytest.raises(ValidationError, match="could not be read"):
        signature_png_from_data_url("data:image/png;base64,***")
    assert signature_png_from_data_url(data_url(png)) == png and signature_png_from_data_url("") == b""


# --- Two customers' phones pressing "Sign" at once --------------------------------------------------


@pytest.fixture
def committed_contract(alpha):
    """A sent contract of alpha, committed so that other connections see it, and removed afterwards.
    The test's own connection must not read contract tables (its locks would block the TRUNCATE).

    Everything it and the test write is removed with TRUNCATE, which the audit trail's row trigger
    does not refuse (CASCADE: leads point at the contracts they became; no test commits leads).
    """
    tables = ", ".join(model._meta.db_table for model in apps.get_app_config("contracts").get_models())
    events_before = []

    def create():
        with tenant_context(alpha.tenant):
            events_before.append(
                DomainEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            )
            owner = Actor(type="owner", user=alpha.owner)
            contract = contract_create(data=CONTRACT_DATA, actor=owner)
            contract_send(contract=contract, actor=owner)
            return Contract.objects.get(pk=contract.pk)

    def remove():
        with tenant_context(alpha.tenant), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
            # the domain events its signing wrote (chat's outbox), which later tests would read
            if events_before:
                DomainEvent.objects.filter(pk__gt=events_before[0]).delete()
        OutboundMessage.objects.filter(to__in=[PHONE, CONTRACT_DATA["customer_email"]]).delete()

    try:
        yield on_own_connection(create)
    finally:
        on_own_connection(remove)


def test_two_concurrent_signatures_give_one_signature_and_one_409(alpha, committed_contract):
    world, contract = alpha, committed_contract
    start = threading.Barrier(2)
    outcomes = []

    def press_sign(name):
        try:
            with tenant_context(world.tenant):
                shown = Contract.objects.get(pk=contract.pk)
                start.wait()
                contract_sign(
                    contract=shown,
                    signer_name=name,
                    consent=True,
                    image_png=b"",
                    document_sha256=contract_document_sha256(shown),
                    actor=CUSTOMER,
                )
            outcomes.append("signed")
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=press_sign, args=(name,)) for name in ("Ada One", "Ada Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [outcome for outcome in outcomes if outcome != "signed"]
    assert outcomes.count("signed") == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], Conflict) and refused[0].code == "already_signed"

    def count():  # not on the test's connection: its locks would hold up the TRUNCATE afterwards
        with tenant_context(world.tenant):
            signed_events = ContractEvent.objects.filter(contract=contract, kind="signed")
            return Signature.objects.filter(contract=contract).count(), signed_events.count()

    assert on_own_connection(count) == (1, 1)


# --- The optional SMS code --------------------------------------------------------------------------


@pytest.fixture
def code_required(alpha):
    with tenant_context(alpha.tenant):
        portal = PortalSettings.load()
        portal.require_sms_code = True
        portal.save()


def texted_code() -> str:
    body = OutboundMessage.objects.filter(channel="sms", to=PHONE).latest("pk").body
    return body.split(" is ")[1][:6]


def test_with_a_code_required_signing_waits_for_the_code(alpha, opened, code_required):
    contract, token = opened
    client = client_for(alpha)
    page = client.get(f"/c/{token}/").content.decode()
    assert "Text me a code" in page and 'id="sign-form"' not in page
    with pytest.raises(DomainError) as raised:
        sign(alpha, contract)
    assert raised.value.code == "code_required"
    assert client.post(f"/c/{token}/code/").status_code == 303
    code = texted_code()
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(f"/c/{token}/code/verify/", {"code": wrong}).status_code == 400
    assert (
        client_for(alpha).post(f"/c/{token}/code/verify/", {"code": code}).status_code == 400
    )  # other browser
    assert client.post(f"/c/{token}/code/verify/", {"code": code}).status_code == 303
    assert client.post(f"/c/{token}/sign/", form(alpha, token, client)).status_code == 303
    with tenant_context(alpha.tenant):
        kinds = list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
        data = [event.data for event in ContractEvent.objects.filter(contract=contract)]
    assert kinds[-4:] == ["code_sent", "code_verified", "signed", "milestone"]  # signing reaches step 0
    assert code not in str(data)  # never a secret in the audit trail


def test_a_required_code_without_a_phone_number_says_what_to_do(alpha, make_contract, send, code_required):
    contract = make_contract(alpha, customer_phone="", contact_preference="email")
    send(alpha, contract)
    token = re.search(r"/c/([\w-]+)/", mail.outbox[-1].body).group(1)
    page = client_for(alpha).get(f"/c/{token}/").content.decode()
    assert "has no mobile number for you" in page and "Text me a code" not in page


def test_the_fifth_wrong_code_burns_it(alpha, opened, code_required):
    contract = fresh(alpha, opened[0])
    with tenant_context(alpha.tenant):
        challenge = contract_code_send(contract=contract, actor=CUSTOMER)
        code = texted_code()
        wrong = "000000" if code != "000000" else "111111"
        for attempt in range(1, CODE_MAX_FAILURES):
            with pytest.raises(SigningCodeFailed, match=f"{CODE_MAX_FAILURES - attempt} tr"):
                contract_code_verify(contract=contract, challenge=challenge, code=wrong, actor=CUSTOMER)
        with pytest.raises(SigningCodeFailed, match="too often"):
            contract_code_verify(contract=contract, challenge=challenge, code=wrong, actor=CUSTOMER)
        with pytest.raises(SigningCodeFailed):
            contract_code_verify(contract=contract, challenge=challenge, code=code, actor=CUSTOMER)


def test_four_wrong_codes_still_leave_the_right_one_working(alpha, opened, code_required):
    contract = fresh(alpha, opened[0])
    with tenant_context(alpha.tenant):
        challenge = contract_code_send(contract=contract, actor=CUSTOMER)
        code = texted_code()
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(CODE_MAX_FAILURES - 1):
            with pytest.raises(SigningCodeFailed):
                contract_code_verify(contract=contract, challenge=challenge, code=wrong, actor=CUSTOMER)
        contract_code_verify(contract=contract, challenge=challenge, code=code, actor=CUSTOMER)
    sign(alpha, contract, code_challenge=challenge)


def test_codes_are_limited_per_phone(alpha, opened, code_required, settings):
    contract = fresh(alpha, opened[0])
    limit, _window = settings.SIGNIN_RATE_PER_ADDRESS
    with tenant_context(alpha.tenant):
        for _ in range(limit):
            contract_code_send(contract=contract, actor=CUSTOMER)
        with pytest.raises(RateLimited):
            contract_code_send(contract=contract, actor=CUSTOMER)
        assert ContractEvent.objects.filter(contract=contract, kind="code_sent").count() == limit


def test_a_code_works_for_ten_minutes(alpha, opened, code_required):
    contract = fresh(alpha, opened[0])
    with tenant_context(alpha.tenant), time_machine.travel(timezone.now(), tick=False) as clock:
        late = contract_code_send(contract=contract, actor=CUSTOMER)
        late_code = texted_code()
        in_time = contract_code_send(contract=contract, actor=CUSTOMER)
        in_time_code = texted_code()
        clock.shift(timedelta(minutes=10) - timedelta(seconds=1))
        contract_code_verify(contract=contract, challenge=in_time, code=in_time_code, actor=CUSTOMER)
        clock.shift(timedelta(seconds=1))
        with pytest.raises(SigningCodeFailed, match="expired"):
            contract_code_verify(contract=contract, challenge=late, code=late_code, actor=CUSTOMER)
