import json
from urllib.parse import parse_qs

import pytest
import responses
from django.core import mail
from django.test import override_settings

from tenants.messaging import TENANT_HEADER, RecordingEmailBackend, SmsDeliveryError, sms_send
from tenants.models import OutboundMessage

TWILIO = dict(
    SMS_BACKEND="twilio",
    TWILIO_ACCOUNT_SID="AC" + "0" * 32,
    TWILIO_AUTH_TOKEN="test-token",
    TWILIO_FROM_NUMBER="+15005550006",
)
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO['TWILIO_ACCOUNT_SID']}/Messages.json"


def test_outbox_backend_stores_and_prints(alpha, capsys):
    record = sms_send(to="+14165550101", body="Hello from Alpha", tenant=alpha.tenant)
    assert OutboundMessage.objects.get(pk=record.pk).status == "stored"
    assert record.backend == "outbox" and record.tenant == alpha.tenant
    assert "[outbox] SMS to +14165550101: Hello from Alpha" in capsys.readouterr().err


@responses.activate
@override_settings(**TWILIO)
def test_twilio_backend_sends_through_the_rest_api(alpha):
    responses.post(
        MESSAGES_URL,
        status=201,
        json={
            "sid": "SM" + "a" * 32,
            "status": "queued",
            "to": "+14165550101",
            "body": "Hi",
            "error_code": None,
        },
    )
    record = sms_send(to="+14165550101", body="Hi", tenant=alpha.tenant)
    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {"To": ["+14165550101"], "From": ["+15005550006"], "Body": ["Hi"]}
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    record.refresh_from_db()
    assert (record.status, record.provider_id, record.backend) == ("sent", "SM" + "a" * 32, "twilio")


@responses.activate
@override_settings(**TWILIO)
def test_twilio_refusal_is_recorded_and_raised(alpha):
    responses.post(
        MESSAGES_URL,
        status=400,
        body=json.dumps(
            {"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "status": 400}
        ),
        content_type="application/json",
    )
    with pytest.raises(SmsDeliveryError, match="not a valid phone number"):
        sms_send(to="+1555", body="Hi")
    record = OutboundMessage.objects.get()
    assert record.status == "failed" and "not a valid phone number" in record.error


@override_settings(SMS_BACKEND="carrier-pigeon")
def test_unknown_sms_backend_is_a_clear_error(db):
    with pytest.raises(ValueError, match="Unknown SMS_BACKEND"):
        sms_send(to="+14165550101", body="Hi")


def test_email_without_a_transport_is_stored_and_printed(db, capsys):
    message = mail.EmailMessage(
        "Subject line", "Body text", "from@example.com", ["a@example.com", "b@example.com"]
    )
    assert RecordingEmailBackend().send_messages([message]) == 1
    stored = OutboundMessage.objects.filter(channel="email").order_by("to")
    assert [(m.to, m.subject, m.body, m.status) for m in stored] == [
        ("a@example.com", "Subject line", "Body text", "stored"),
        ("b@example.com", "Subject line", "Body text", "stored"),
    ]
    assert "[outbox] Email to a@example.com, b@example.com: Subject line" in capsys.readouterr().err


@override_settings(EMAIL_TRANSPORT="django.core.mail.backends.locmem.EmailBackend")
def test_email_is_delivered_recorded_and_attributed_without_leaking_the_tenant(alpha):
    message = mail.EmailMessage(
        "Hi", "Body", to=["a@example.com"], headers={TENANT_HEADER: alpha.tenant.schema_name}
    )
    RecordingEmailBackend().send_messages([message])
    delivered = mail.outbox[-1]
    assert delivered.to == ["a@example.com"] and TENANT_HEADER not in delivered.message()
    record = OutboundMessage.objects.get(channel="email")
    assert (record.tenant, record.status, record.backend) == (alpha.tenant, "sent", "locmem")


@override_settings(
    EMAIL_TRANSPORT="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9
)
def test_email_delivery_failure_is_recorded_and_raised(db):
    with pytest.raises(RuntimeError, match="Email delivery failed"):
        RecordingEmailBackend().send_messages([mail.EmailMessage("Hi", "Body", to=["a@example.com"])])
    assert OutboundMessage.objects.get(channel="email").status == "failed"


@override_settings(
    EMAIL_BACKEND="tenants.messaging.RecordingEmailBackend",
    EMAIL_TRANSPORT="django.core.mail.backends.locmem.EmailBackend",
)
def test_delivered_sign_in_links_are_not_kept_usable(alpha):
    from tenants.services.signin import signin_link_send

    signin_link_send(tenant=alpha.tenant, email=alpha.owner.email, ip=None)
    assert "/sign-in/link/" in mail.outbox[-1].body  # the owner got a working link…
    kept = OutboundMessage.objects.get(channel="email").body
    assert "/sign-in/link/[redacted]/" in kept  # …and the copy in the admin can't sign anyone in
    token = mail.outbox[-1].body.split("/sign-in/link/")[1].split("/")[0]
    assert token not in kept


@responses.activate
@override_settings(**TWILIO)
def test_delivered_sms_codes_are_not_kept(alpha):
    responses.post(MESSAGES_URL, status=201, json={"sid": "SM" + "b" * 32, "status": "queued"})
    sms_send(to="+14165550101", body="123456 is your code", tenant=alpha.tenant, secret="123456")
    assert "123456" in parse_qs(responses.calls[0].request.body)["Body"][0]
    assert OutboundMessage.objects.get().body == "[redacted] is your code"
