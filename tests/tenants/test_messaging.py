import json
import re
from email import message_from_bytes, policy
from email.utils import parseaddr
from urllib.parse import parse_qs
from uuid import uuid4

import pytest
import responses
from celery.signals import task_retry
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import TestCase, override_settings
from kombu.exceptions import OperationalError as KombuOperationalError

from inkwell.celery import app as celery_app
from inkwell.errors import ServiceUnavailable
from tenants import tasks
from tenants.messaging import TENANT_HEADER, RecordingEmailBackend, SmsDeliveryError, sms_send
from tenants.models import OutboundMessage


def deliver_signin_link(world) -> None:
    """What the worker does for a sign-in request: the email's own delivery is queued at the commit."""
    from tenants.services.signin import signin_link_send

    with TestCase.captureOnCommitCallbacks(execute=True):
        signin_link_send(tenant=world.tenant, email=world.owner.email, ip=None, delivery_id=uuid4().hex)


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
    assert sent == {
        "To": ["+14165550101"],
        "From": ["+15005550006"],
        "Body": ["Hi"],
        # Delivery reports come back to the public host (tests/test_twilio_webhooks.py).
        "StatusCallback": ["http://localhost:8000/webhooks/twilio/status/"],
    }
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
    EMAIL_BACKEND="tenants.messaging.RecordingEmailBackend",
    EMAIL_TRANSPORT="django.core.mail.backends.locmem.EmailBackend",
)
def test_delivered_sign_in_links_are_not_kept_usable(alpha):
    deliver_signin_link(alpha)
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


# --- tenant emails: text without escaping, "<Brand> via Inkwell", Reply-To, HTML part --------------


def set_brand(world, **fields):
    config = world.tenant.config
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()


def parsed(message):
    return message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_text_emails_and_sms_are_not_html_escaped(alpha):
    from tenants.services.signin import _digest, signin_code_send

    set_brand(alpha, brand_name="Bob's A&B Movers")
    deliver_signin_link(alpha)
    message = mail.outbox[-1]
    assert message.subject == "Your sign-in link for Bob's A&B Movers"
    assert "sign in to Bob's A&B Movers." in message.body and "&amp;" not in message.body

    signin_code_send(tenant=alpha.tenant, phone=alpha.owner.phone, challenge_digest=_digest("c"), ip=None)
    sms = OutboundMessage.objects.get(channel="sms").body
    assert "is your Bob's A&B Movers sign-in code" in sms and "&" + "#x27;" not in sms


@pytest.mark.parametrize("brand", ['Bob\'s "A, B" Movers <x@evil.example>', "Déménagements Zoé"])
def test_tenant_email_comes_from_the_brand_via_inkwell_and_replies_go_to_the_business(alpha, brand):
    set_brand(alpha, brand_name=brand, business_email="office@alpha.example")
    deliver_signin_link(alpha)
    headers = parsed(mail.outbox[-1])
    (sender,) = headers["From"].addresses  # a comma or an address in the brand adds no sender
    assert sender.display_name == f"{brand} via Inkwell"
    assert sender.addr_spec == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert [a.addr_spec for a in headers["Reply-To"].addresses] == ["office@alpha.example"]


def test_no_reply_to_without_a_business_email(alpha):
    set_brand(alpha, business_email="")
    deliver_signin_link(alpha)
    assert "Reply-To" not in parsed(mail.outbox[-1])


def test_html_alternative_is_branded_with_the_link_as_a_button_and_escaped(alpha):
    set_brand(alpha, brand_name="Bob's <b>A&B</b> Movers", primary_color="#123abc")
    deliver_signin_link(alpha)
    message = mail.outbox[-1]
    ((html, mimetype),) = message.alternatives
    url = re.search(r"http://\S+/sign-in/link/\S+/", message.body).group(0)
    assert mimetype == "text/html"
    assert f'<a href="{url}" style="display:inline-block; background:#123abc;' in html
    assert "Bob&#x27;s &lt;b&gt;A&amp;B&lt;/b&gt; Movers" in html and "<b>A&B</b>" not in html


# --- delivery through the worker: queued → sent / failed, retried with backoff, idempotent --------


class FlakyTransport(BaseEmailBackend):
    """An email transport that fails its first `failures` sends, then delivers into `sent`."""

    failures = 0
    sent: list = []

    def send_messages(self, email_messages):
        if FlakyTransport.failures:
            FlakyTransport.failures -= 1
            raise ConnectionRefusedError("SMTP server is restarting")
        FlakyTransport.sent.extend(email_messages)
        return len(email_messages)


@pytest.fixture
def transport(settings):
    settings.EMAIL_BACKEND = "tenants.messaging.RecordingEmailBackend"
    settings.EMAIL_TRANSPORT = f"{__name__}.FlakyTransport"
    FlakyTransport.failures, FlakyTransport.sent = 0, []
    # Eager tasks that propagate errors raise a retry at the caller; a worker would schedule it.
    # Not propagating lets the eager run perform the retries the way a worker does, one after another.
    celery_app.conf.task_eager_propagates = False
    yield FlakyTransport
    celery_app.conf.task_eager_propagates = True


@pytest.fixture
def retry_delays():
    delays = []

    def record(sender=None, reason=None, **kwargs):
        delays.append(reason.when)

    task_retry.connect(record, weak=False)
    yield delays
    task_retry.disconnect(record)


def send_signin_link(world):
    deliver_signin_link(world)
    return OutboundMessage.objects.get(channel="email")


def test_queued_email_is_sent_whole_and_kept_redacted(alpha, transport):
    set_brand(alpha, business_email="office@alpha.example")
    record = send_signin_link(alpha)
    (delivered,) = transport.sent
    token = re.search(r"/sign-in/link/([\w-]+)/", delivered.body).group(1)
    ((html, _),) = delivered.alternatives
    assert token in html and delivered.to == [alpha.owner.email]
    assert parseaddr(delivered.from_email)[0] == "Alpha Movers via Inkwell"
    assert delivered.reply_to == ["office@alpha.example"]
    record.refresh_from_db()
    assert (record.status, record.attempts, record.error) == ("sent", 1, "")
    assert "/sign-in/link/[redacted]/" in record.body and "/sign-in/link/[redacted]/" in record.html_body
    assert token not in record.body and token not in record.html_body


def test_a_transport_failing_twice_then_working_delivers_once(alpha, transport, retry_delays):
    transport.failures = 2
    record = send_signin_link(alpha)
    assert len(transport.sent) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("sent", 3)
    assert record.error == "ConnectionRefusedError: SMTP server is restarting"  # the last one, for staff
    assert retry_delays == [60, 120]


def test_a_transport_that_always_fails_is_given_up_after_five_tries(alpha, transport, retry_delays):
    transport.failures = 99
    record = send_signin_link(alpha)
    assert transport.sent == []
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("failed", tasks.email_deliver.max_retries + 1)
    assert record.attempts == 5 and "SMTP server is restarting" in record.error
    assert retry_delays == [60, 120, 240, 480]  # minutes 1, 2, 4, 8
    assert "/sign-in/link/[redacted]/" in record.body  # a link nobody received is no credential either


def test_a_redelivered_delivery_task_sends_nothing_more(alpha, transport):
    record = send_signin_link(alpha)
    tasks.email_deliver.apply(kwargs={"message_id": record.pk})
    assert len(transport.sent) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("sent", 1)


@pytest.mark.parametrize("fail_silently", [False, True])
def test_an_email_that_cannot_be_queued_is_failed_and_a_503(db, transport, monkeypatch, fail_silently):
    def broker_down(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.email_deliver, "apply_async", broker_down)
    message = mail.EmailMessage("Hi", "Body", to=["a@example.com"])
    if fail_silently:
        RecordingEmailBackend(fail_silently=True).send_messages([message])
    else:
        with pytest.raises(ServiceUnavailable):
            RecordingEmailBackend().send_messages([message])
    record = OutboundMessage.objects.get(channel="email")
    assert record.status == "failed" and "can't queue" in record.error


def test_attachments_are_refused_rather_than_dropped(db, transport):
    message = mail.EmailMessage("Hi", "Body", to=["a@example.com"])
    message.attach("contract.pdf", b"%PDF-1.7", "application/pdf")
    with pytest.raises(ValueError, match="nothing else"):
        RecordingEmailBackend().send_messages([message])
    assert not OutboundMessage.objects.exists()


def test_emails_left_queued_with_no_task_coming_are_requeued(alpha, transport, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.messaging import EMAIL_STALE_AFTER, emails_requeue_stale

    monkeypatch.setattr(tasks.email_deliver, "apply_async", lambda *a, **kw: None)  # the broker lost them
    addresses = [
        "old@x.example",
        "recent@x.example",
        "retried-long-ago@x.example",
        "retried-lately@x.example",
    ]
    for to in [*addresses, "sent-long-ago@x.example"]:
        RecordingEmailBackend().send_messages([mail.EmailMessage("Hi", "Body", to=[to])])
    monkeypatch.undo()
    now, past = timezone.now(), EMAIL_STALE_AFTER + timedelta(seconds=1)
    queued = OutboundMessage.objects.filter(status="queued")
    queued.update(created=now - past)
    queued.filter(to="recent@x.example").update(created=now - EMAIL_STALE_AFTER + timedelta(seconds=1))
    queued.filter(to="retried-long-ago@x.example").update(last_attempt_at=now - past)
    queued.filter(to="retried-lately@x.example").update(last_attempt_at=now - timedelta(minutes=8))
    queued.filter(to="sent-long-ago@x.example").update(status="sent", last_attempt_at=now - past)

    assert emails_requeue_stale() == 2
    assert sorted(m.to[0] for m in transport.sent) == ["old@x.example", "retried-long-ago@x.example"]
    assert emails_requeue_stale() == 0  # sent now, so never sent twice


def test_staff_see_the_tries_and_last_error_of_a_failed_email(alpha, transport):
    from django.test import Client

    from tenants.models import User

    transport.failures = 99
    record = send_signin_link(alpha)
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    page = staff.get(f"/admin/tenants/outboundmessage/{record.pk}/change/").content.decode()
    assert "Attempts" in page and '<div class="readonly">5</div>' in page
    assert "ConnectionRefusedError: SMTP server is restarting" in page
