"""Twilio's callbacks on the public host: signed delivery reports reach the message and the contract's
audit trail; STOP/START/HELP by SMS; anything unsigned is refused before a row is touched."""

from urllib.parse import parse_qs

import pytest
import responses
from django.core import mail
from django.test import Client, override_settings
from django_tenants.utils import tenant_context
from twilio.request_validator import RequestValidator

from contracts.models import ContractEvent
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from tenants import sms_inbound
from tenants.messaging import sms_send
from tenants.models import OutboundMessage, SmsOptOut
from tests.contracts.conftest import CONTRACT_DATA

TOKEN = "test-auth-token"
TWILIO = dict(
    SMS_BACKEND="twilio",
    TWILIO_ACCOUNT_SID="AC" + "0" * 32,
    TWILIO_AUTH_TOKEN=TOKEN,
    TWILIO_FROM_NUMBER="+15005550006",
)
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages.json"
STATUS = "/webhooks/twilio/status/"
INBOUND = "/webhooks/twilio/inbound/"
PHONE = CONTRACT_DATA["customer_phone"]
SID = "SM" + "c" * 32

pytestmark = pytest.mark.usefixtures("db", "twilio_settings")


@pytest.fixture
def twilio_settings():
    with override_settings(**TWILIO):
        yield


def post_signed(client, path, params, *, token=TOKEN):
    signature = RequestValidator(token).compute_signature(f"http://localhost:8000{path}", params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send(world, **fields): a new contract of `world` sent by its owner, deliveries run."""

    def do(world, **fields):
        actor = Actor(type="owner", user=world.owner)
        with tenant_context(world.tenant), django_capture_on_commit_callbacks(execute=True):
            return contract_send(
                contract=contract_create(data=CONTRACT_DATA | fields, actor=actor), actor=actor
            )

    return do


@pytest.fixture
def sent_by_twilio(alpha, send):
    """A contract whose link SMS went out through (a recorded) Twilio as SID."""
    with responses.RequestsMock() as twilio:
        twilio.post(MESSAGES_URL, status=201, json={"sid": SID, "status": "queued", "to": PHONE, "body": "…"})
        contract = send(alpha, contact_preference="sms")
        assert parse_qs(twilio.calls[0].request.body)["StatusCallback"] == [f"http://localhost:8000{STATUS}"]
    message = OutboundMessage.objects.get(provider_id=SID)
    assert (message.ref, message.tenant) == (f"contract:{contract.pk}", alpha.tenant)
    return contract


def sms_events(world, contract):
    with tenant_context(world.tenant):
        return list(
            ContractEvent.objects.filter(contract=contract, kind__startswith="sms_").values_list(
                "kind", "data"
            )
        )


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "bm90IGEgc2lnbmF0dXJl",
        RequestValidator("another-token").compute_signature("http://localhost:8000" + STATUS, {}),
    ],
)
def test_unsigned_reports_are_refused_and_record_nothing(alpha, sent_by_twilio, public_client, signature):
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    assert public_client.post(STATUS, params, **headers).status_code == 403
    forged = post_signed(public_client, STATUS, params, token="another-token")
    assert forged.status_code == 403
    assert OutboundMessage.objects.get(provider_id=SID).status == "sent"
    assert sms_events(alpha, sent_by_twilio) == []


def test_a_signed_report_for_another_url_is_refused(alpha, sent_by_twilio, public_client):
    params = {"MessageSid": SID, "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature(f"http://localhost:8000{INBOUND}", params)
    assert public_client.post(STATUS, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    assert OutboundMessage.objects.get(provider_id=SID).status == "sent"


def test_delivery_reports_update_the_message_and_the_contracts_audit_trail(
    alpha, sent_by_twilio, public_client
):
    sending = {"MessageSid": SID, "MessageStatus": "sending"}
    assert post_signed(public_client, STATUS, sending).status_code == 204
    assert OutboundMessage.objects.get(provider_id=SID).status == "sent"  # in-between statuses change nothing
    delivered = {"MessageSid": SID, "MessageStatus": "delivered", "AccountSid": TWILIO["TWILIO_ACCOUNT_SID"]}
    assert post_signed(public_client, STATUS, delivered).status_code == 204
    assert post_signed(public_client, STATUS, delivered).status_code == 204  # Twilio retries
    message = OutboundMessage.objects.get(provider_id=SID)
    assert message.status == "delivered"
    assert sms_events(alpha, sent_by_twilio) == [
        ("sms_delivered", {"message": message.pk, "status": "delivered", "error": ""})
    ]


def test_failed_deliveries_are_recorded_with_the_error(alpha, sent_by_twilio, public_client):
    params = {"MessageSid": SID, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_signed(public_client, STATUS, params).status_code == 204
    message = OutboundMessage.objects.get(provider_id=SID)
    assert (message.status, message.error) == ("undelivered", "Twilio error 30003")
    [(kind, data)] = sms_events(alpha, sent_by_twilio)
    assert (kind, data["status"]) == ("sms_failed", "undelivered")


def test_reports_for_messages_not_about_a_contract_only_update_the_message(alpha, public_client):
    with responses.RequestsMock() as twilio:
        twilio.post(MESSAGES_URL, status=201, json={"sid": SID, "status": "queued"})
        sms_send(to="+14165550101", body="Your code is 123456", tenant=alpha.tenant)
    assert (
        post_signed(public_client, STATUS, {"MessageSid": SID, "MessageStatus": "failed"}).status_code == 204
    )
    assert OutboundMessage.objects.get(provider_id=SID).status == "failed"


# --- inbound ----------------------------------------------------------------------------------------


def inbound(client, body, sender=PHONE):
    return post_signed(client, INBOUND, {"From": sender, "To": TWILIO["TWILIO_FROM_NUMBER"], "Body": body})


def test_unsigned_inbound_sms_is_refused_and_opts_nobody_out(public_client):
    response = public_client.post(INBOUND, {"From": PHONE, "Body": "STOP"}, HTTP_X_TWILIO_SIGNATURE="x")
    assert response.status_code == 403
    assert not SmsOptOut.objects.exists()


@pytest.mark.parametrize("keyword", ["STOP", " stop ", "Unsubscribe", "STOPALL", "CANCEL", "END", "QUIT"])
def test_stop_keywords_opt_out(public_client, keyword):
    response = inbound(public_client, keyword)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert SmsOptOut.objects.filter(phone=PHONE).exists()


def test_a_sentence_containing_stop_is_not_an_opt_out(public_client):
    inbound(public_client, "Please don't stop the shipment")
    assert not SmsOptOut.objects.exists()


@override_settings(SMS_BACKEND="outbox")
def test_stop_silences_every_tenant_by_sms_but_not_by_email_and_start_undoes_it(
    alpha, beta, send, public_client
):
    inbound(public_client, "STOP")
    mails = len(mail.outbox)
    for world in (alpha, beta):
        send(world)
    texts = OutboundMessage.objects.filter(channel="sms", to=PHONE)
    assert list(texts.values_list("status", "error")) == [("skipped", "opted out")] * 2
    assert len(mail.outbox) == mails + 2  # email continues
    with tenant_context(alpha.tenant):
        delivered = ContractEvent.objects.filter(kind="link_delivered").latest("pk")
        assert (delivered.data["sms"], delivered.data["email"]) == ("skipped", "sent")

    response = inbound(public_client, "START")
    assert "You will receive texts again" in response.text
    send(alpha)
    assert texts.order_by("-pk").first().status == "stored"


def test_help_answers_with_twiml(public_client):
    response = inbound(public_client, "help")
    assert response.status_code == 200
    assert "<Message>" in response.text and "Reply STOP" in response.text
    assert not SmsOptOut.objects.exists()


def test_other_replies_go_to_the_handlers_features_register(public_client, monkeypatch):
    monkeypatch.setattr(sms_inbound, "_handlers", list(sms_inbound._handlers))
    seen = []

    @sms_inbound.inbound_handler(order=50)
    def questionnaire(message):
        seen.append(message.body)
        return "Thanks, noted." if message.body.strip().isdigit() else None

    assert "Thanks, noted." in inbound(public_client, "7").text
    stop = inbound(public_client, "STOP")  # opt-out comes first, whatever a feature would claim
    assert "<Message>" not in stop.text and SmsOptOut.objects.filter(phone=PHONE).exists()
    unclaimed = inbound(public_client, "hello?")
    assert unclaimed.status_code == 200 and "<Message>" not in unclaimed.text
    assert seen == ["7", "hello?"]


def test_staff_see_opt_outs_but_cannot_undo_them(public_client):
    from tenants.models import User

    inbound(public_client, "STOP")
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    assert PHONE in staff.get("/admin/tenants/smsoptout/").text
    opt_out = SmsOptOut.objects.get(phone=PHONE)
    assert staff.post(f"/admin/tenants/smsoptout/{opt_out.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SmsOptOut.objects.filter(phone=PHONE).exists()
