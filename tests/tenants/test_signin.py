import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from tenants.models import Membership, OutboundMessage, SignInToken, User
from tenants.services.signin import signin_link_issue
from tests.conftest import client_for

SENT = "Check your email"


def link_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def request_link(client: Client, email: str, ip: str = "10.0.0.1", **data):
    return client.post("/sign-in/", {"email": email, **data}, REMOTE_ADDR=ip)


def member_of_both(alpha, beta):
    """alpha's owner, made a member of beta too: cross-tenant checks must not pass only because the
    person has no business on the other tenant."""
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    return alpha.owner


def emailed_link(to: str) -> str:
    message = next(m for m in mail.outbox if m.to == [to])
    return link_path(re.search(r"http://\S+/sign-in/link/\S+/", message.body).group(0))


def test_magic_link_signs_in_once(alpha):
    client = client_for(alpha)
    response = request_link(client, alpha.owner.email.upper())
    assert response.status_code == 200 and SENT in response.content.decode()
    path = emailed_link(alpha.owner.email)

    assert "Continue to Alpha Movers" in client.get(path).content.decode()  # GET does not use the link
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert "owner@alpha.example" in client.get("/dashboard/").content.decode()

    again = client_for(alpha).post(path)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert client_for(alpha).get(path).status_code == 400


def test_expired_link_fails(alpha):
    path = link_path(signin_link_issue(tenant=alpha.tenant, user=alpha.owner))
    SignInToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client_for(alpha).post(path)
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_link_for_one_tenant_fails_on_another_host(alpha, beta):
    person = member_of_both(alpha, beta)
    path = link_path(signin_link_issue(tenant=alpha.tenant, user=person))
    client = client_for(beta)
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert client.get("/dashboard/").status_code == 302  # still signed out
    assert client_for(alpha).post(path).status_code == 302  # and the link was not burnt by the attempt


def test_link_stops_working_when_membership_is_removed(alpha):
    path = link_path(signin_link_issue(tenant=alpha.tenant, user=alpha.member))
    alpha.member.memberships.all().delete()
    assert client_for(alpha).post(path).status_code == 400


def test_unknown_and_foreign_addresses_get_the_same_answer_and_no_email(alpha, beta):
    known = request_link(client_for(alpha), alpha.owner.email)
    unknown = request_link(client_for(alpha), "nobody@nowhere.example")
    foreign = request_link(client_for(alpha), beta.owner.email)  # a real user, but not of alpha

    def strip(response):
        html = re.sub(r'"X-CSRFToken": "\w+"', "", response.content.decode())
        for email in (alpha.owner.email, beta.owner.email, "nobody@nowhere.example"):
            html = html.replace(email, "X")
        return html

    assert known.status_code == unknown.status_code == foreign.status_code == 200
    assert strip(known) == strip(unknown) == strip(foreign)
    assert [m.to for m in mail.outbox] == [[alpha.owner.email]]


def test_link_requests_are_rate_limited_per_address(alpha):
    limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    client = client_for(alpha)
    for i in range(limit):
        assert request_link(client, alpha.owner.email, ip=f"10.0.1.{i}").status_code == 200
    response = request_link(client, alpha.owner.email, ip="10.0.2.1")
    assert response.status_code == 429 and "Too many" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == limit


def test_link_requests_are_rate_limited_per_ip(alpha):
    limit, _ = settings.SIGNIN_RATE_PER_IP
    client = client_for(alpha)
    for i in range(limit):
        assert request_link(client, f"someone{i}@example.com", ip="10.9.9.9").status_code == 200
    assert request_link(client, "another@example.com", ip="10.9.9.9").status_code == 429
    assert request_link(client, "another@example.com", ip="10.9.9.8").status_code == 200


def test_bad_email_is_a_form_error(alpha):
    response = client_for(alpha).post("/sign-in/", {"email": "not an email"})
    assert response.status_code == 400 and "valid email" in response.content.decode()


# --- SMS codes -------------------------------------------------------------------------------------


def request_code(client: Client, phone: str, ip: str = "10.0.0.1"):
    return client.post("/sign-in/code/", {"phone": phone}, REMOTE_ADDR=ip)


def texted_code(phone: str) -> str:
    message = OutboundMessage.objects.filter(channel="sms", to=phone).latest("created")
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def submit_code(client: Client, code: str, ip: str = "10.0.0.1"):
    return client.post("/sign-in/code/verify/", {"code": code}, REMOTE_ADDR=ip)


def test_sms_code_signs_in(alpha):
    client = client_for(alpha)
    response = request_code(client, "(416) 555-0101")
    assert response.status_code == 302 and response["Location"] == "/sign-in/code/verify/"
    code = texted_code(alpha.owner.phone)
    message = OutboundMessage.objects.get(to=alpha.owner.phone)
    assert message.tenant_id == alpha.tenant.pk and "Alpha Movers" in message.body

    response = submit_code(client, code)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200
    assert client.session.get_expiry_age() == 30 * 24 * 3600


def test_five_wrong_codes_lock_the_challenge(alpha):
    client = client_for(alpha)
    request_code(client, alpha.owner.phone)
    code = texted_code(alpha.owner.phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(4):
        response = submit_code(client, wrong)
        assert response.status_code == 400 and "not right" in response.content.decode()
    response = submit_code(client, wrong)
    assert "Too many wrong codes" in response.content.decode()
    response = submit_code(client, code)  # even the right code is refused now
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302


def test_code_expires(alpha):
    client = client_for(alpha)
    request_code(client, alpha.owner.phone)
    code = texted_code(alpha.owner.phone)
    SignInToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert submit_code(client, code).status_code == 400


def test_code_needs_the_challenge_from_the_same_browser(alpha):
    request_code(client_for(alpha), alpha.owner.phone)
    code = texted_code(alpha.owner.phone)
    other = client_for(alpha)
    response = other.post("/sign-in/code/verify/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/sign-in/code/"


def test_unknown_phone_looks_the_same_and_never_signs_in(alpha):
    client = client_for(alpha)
    response = request_code(client, "+1 416 555 0999")
    assert response.status_code == 302 and response["Location"] == "/sign-in/code/verify/"
    assert not OutboundMessage.objects.filter(channel="sms").exists()
    assert submit_code(client, "123456").status_code == 400


def test_bad_phone_and_bad_code_are_form_errors(alpha):
    client = client_for(alpha)
    response = request_code(client, "12")
    assert response.status_code == 400 and "valid phone number" in response.content.decode()
    request_code(client, alpha.owner.phone)
    response = submit_code(client, "12ab")
    assert response.status_code == 400 and "6 digits" in response.content.decode()


def test_code_requests_are_rate_limited(alpha):
    limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    client = client_for(alpha)
    for i in range(limit):
        assert request_code(client, alpha.owner.phone, ip=f"10.0.3.{i}").status_code == 302
    assert request_code(client, alpha.owner.phone, ip="10.0.4.1").status_code == 429


# --- sessions --------------------------------------------------------------------------------------


def signed_in_by_link(world) -> Client:
    client = client_for(world)
    assert client.post(link_path(signin_link_issue(tenant=world.tenant, user=world.owner))).status_code == 302
    return client


def test_sign_out_everywhere_ends_every_session(alpha):
    phone, laptop = signed_in_by_link(alpha), signed_in_by_link(alpha)
    assert phone.get("/dashboard/").status_code == laptop.get("/dashboard/").status_code == 200
    assert laptop.post("/sign-in/out/everywhere/").status_code == 302
    assert phone.get("/dashboard/").status_code == 302
    assert laptop.get("/dashboard/").status_code == 302
    assert signed_in_by_link(alpha).get("/dashboard/").status_code == 200  # signing in again works


def test_sign_out_ends_this_session(alpha):
    client = signed_in_by_link(alpha)
    assert client.post("/sign-in/out/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_session_cookie_is_host_only_and_lasts_30_days(alpha):
    client = client_for(alpha)
    response = client.post(link_path(signin_link_issue(tenant=alpha.tenant, user=alpha.owner)))
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["domain"] == ""  # never shared with other subdomains
    assert cookie["httponly"]
    assert int(cookie["max-age"]) == 30 * 24 * 3600


def test_sign_in_returns_to_the_page_that_asked_for_it(alpha):
    client = client_for(alpha)
    assert client.get("/dashboard/settings/")["Location"] == "/sign-in/?next=/dashboard/settings/"
    page = client.get("/sign-in/?next=/dashboard/settings/").content.decode()
    assert 'name="next" value="/dashboard/settings/"' in page  # carried by the form, not a session
    request_link(client, alpha.owner.email, next="/dashboard/settings/")
    assert client.post(emailed_link(alpha.owner.email))["Location"] == "/dashboard/settings/"


def test_sms_sign_in_also_returns_to_the_page_that_asked_for_it(alpha):
    client = client_for(alpha)
    page = client.get("/sign-in/?next=/dashboard/settings/").content.decode()
    assert 'href="/sign-in/code/?next=/dashboard/settings/"' in page
    assert (
        'name="next" value="/dashboard/settings/"'
        in client.get("/sign-in/code/?next=/dashboard/settings/").content.decode()
    )
    client.post("/sign-in/code/", {"phone": alpha.owner.phone, "next": "/dashboard/settings/"})
    assert submit_code(client, texted_code(alpha.owner.phone))["Location"] == "/dashboard/settings/"


def test_looking_at_sign_in_pages_stores_no_session(alpha):
    from django.contrib.sessions.models import Session

    before = Session.objects.count()
    paths = [
        "/sign-in/",
        "/sign-in/?next=/dashboard/settings/",
        "/sign-in/code/",
        "/sign-in/code/?next=/dashboard/settings/",
        "/sign-in/code/verify/",
        "/sign-in/link/not-a-token/",
        "/dashboard/settings/",
    ]
    for _visitor in range(3):
        client = client_for(alpha)
        for path in paths:
            assert client.get(path).status_code in (200, 302, 400)
        assert settings.SESSION_COOKIE_NAME not in client.cookies
    assert Session.objects.count() == before


def test_beat_clears_expired_sessions(db):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from inkwell.celery import app
    from tenants.tasks import sessions_clear

    expired, live = SessionStore(), SessionStore()
    for session in (expired, live):
        session["seen"] = True
        session.save()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    sessions_clear.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"tenants.tasks.sessions_clear", "tenants.tasks.signin_tokens_purge"} <= scheduled
    app.loader.import_default_modules()  # what a worker imports at start: every app's tasks module
    assert scheduled <= set(app.tasks)  # every scheduled name is a real task


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "http://beta.localhost/"])
def test_next_never_leaves_the_tenant_host(alpha, target):
    client = client_for(alpha)
    client.get("/sign-in/", {"next": target})
    client.post("/sign-in/", {"email": alpha.owner.email, "next": target})
    response = client.post(link_path(signin_link_issue(tenant=alpha.tenant, user=alpha.owner)))
    assert response["Location"] == "/dashboard/"


def test_a_code_challenge_is_useless_on_another_tenant(alpha, beta):
    from tenants.services.signin import SignInFailed, signin_code_request, signin_code_verify

    member_of_both(alpha, beta)
    challenge = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
    code = texted_code(alpha.owner.phone)
    with pytest.raises(SignInFailed):
        signin_code_verify(tenant=beta.tenant, challenge=challenge, code=code, ip=None)
    assert signin_code_verify(tenant=alpha.tenant, challenge=challenge, code=code, ip=None) == alpha.owner


def test_ten_wrong_codes_in_a_day_stop_sms_sign_in(alpha):
    client = client_for(alpha)
    for _challenge in range(2):  # two challenges of five wrong guesses each
        request_code(client, alpha.owner.phone, ip="10.0.5.1")
        code = texted_code(alpha.owner.phone)
        for _ in range(settings.SIGNIN_CODE_MAX_ATTEMPTS):
            submit_code(client, f"{(int(code) + 1) % 1_000_000:06d}")
    texts_before = OutboundMessage.objects.filter(channel="sms").count()
    response = request_code(client, alpha.owner.phone, ip="10.0.5.2")
    assert response.status_code == 302  # the same answer as ever…
    assert OutboundMessage.objects.filter(channel="sms").count() == texts_before  # …but no code is sent
    assert submit_code(client, "000000").status_code == 400


def test_sms_provider_failure_is_not_an_error_page(alpha, settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    import responses

    with responses.RequestsMock() as recorded:
        recorded.post(
            f"https://api.twilio.com/2010-04-01/Accounts/{settings.TWILIO_ACCOUNT_SID}/Messages.json",
            status=500,
            json={"code": 20500, "message": "Internal Server Error", "status": 500},
        )
        response = request_code(client_for(alpha), alpha.owner.phone)
    assert response.status_code == 302 and response["Location"] == "/sign-in/code/verify/"
    assert OutboundMessage.objects.get(channel="sms").status == "failed"


def test_ipv6_neighbours_share_one_limit(alpha):
    limit, _ = settings.SIGNIN_RATE_PER_IP
    client = client_for(alpha)
    for i in range(limit):
        assert request_link(client, f"v6-{i}@example.com", ip=f"2001:db8:1:2::{i + 1:x}").status_code == 200
    assert request_link(client, "v6-last@example.com", ip="2001:db8:1:2:ffff::1").status_code == 429
    assert request_link(client, "v6-last@example.com", ip="2001:db8:1:3::1").status_code == 200


def test_a_queue_outage_is_a_clear_503_not_a_crash(alpha, monkeypatch):
    from kombu.exceptions import OperationalError

    from tenants import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.signin_link_deliver, "apply_async", broker_down)
    response = request_link(client_for(alpha), alpha.owner.email)
    assert response.status_code == 503 and "Try again in a minute" in response.content.decode()


def test_ipv4_clients_seen_as_mapped_ipv6_keep_their_own_limits(alpha):
    from inkwell.ratelimit import address_bucket

    assert address_bucket("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_bucket("::ffff:192.0.2.1") != address_bucket("::ffff:192.0.2.2")


def test_daily_code_lock_also_stops_codes_already_sent(alpha):
    from tenants.services.signin import SignInFailed, signin_code_request, signin_code_verify

    pending = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
    pending_code = texted_code(alpha.owner.phone)
    for _challenge in range(2):
        challenge = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
        code = texted_code(alpha.owner.phone)
        for _ in range(settings.SIGNIN_CODE_MAX_ATTEMPTS):
            with pytest.raises(SignInFailed):
                signin_code_verify(
                    tenant=alpha.tenant, challenge=challenge, code=f"{(int(code) + 1) % 10**6:06d}", ip=None
                )
    with pytest.raises(SignInFailed):
        signin_code_verify(tenant=alpha.tenant, challenge=pending, code=pending_code, ip=None)


def test_a_redelivered_code_task_sends_no_second_sms(alpha):
    from tenants.services.signin import _digest, signin_code_send

    args = dict(tenant=alpha.tenant, phone=alpha.owner.phone, challenge_digest=_digest("challenge"), ip=None)
    assert signin_code_send(**args) is True
    assert signin_code_send(**args) is False
    assert OutboundMessage.objects.filter(channel="sms").count() == 1


def test_a_redelivered_link_task_sends_no_second_link(alpha, monkeypatch):
    from tenants import tasks

    queued = []
    monkeypatch.setattr(tasks.signin_link_deliver, "apply_async", lambda **kw: queued.append(kw["kwargs"]))
    request_link(client_for(alpha), alpha.owner.email)
    [kwargs] = queued
    assert tasks.signin_link_deliver.apply(kwargs=kwargs).get() is True
    assert tasks.signin_link_deliver.apply(kwargs=kwargs).get() is False  # the broker delivered it again
    assert len(mail.outbox) == 1 and SignInToken.objects.filter(kind="link").count() == 1


# --- limits that must not lock a person out, or be dodged -----------------------------------------


def test_requests_refused_by_the_ip_limit_do_not_use_up_a_persons_allowance(alpha):
    ip_limit, _ = settings.SIGNIN_RATE_PER_IP
    address_limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    attacker = client_for(alpha)
    for i in range(ip_limit):  # the attacker spends its own IP's allowance…
        assert request_link(attacker, f"filler{i}@example.com", ip="10.6.6.6").status_code == 200
    for _ in range(address_limit):  # …so its requests for the owner are refused there
        assert request_link(attacker, alpha.owner.email, ip="10.6.6.6").status_code == 429
    owner = client_for(alpha)
    for i in range(address_limit):  # and the owner still gets every link they are allowed
        assert request_link(owner, alpha.owner.email, ip=f"10.7.0.{i}").status_code == 200
    assert request_link(owner, alpha.owner.email, ip="10.7.1.1").status_code == 429
    assert [m.to for m in mail.outbox].count([alpha.owner.email]) == address_limit


def test_look_alike_spellings_of_an_address_never_get_past_its_limit(alpha):
    # PostgreSQL's upper() turns "ſ" into "S" and "ı" into "I"; these must not reach this inbox
    # on an allowance of their own.
    person = User.objects.create_user(email="owner@scilla-transport.example")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    variants = [
        "owner@scilla-transport.example",
        "OWNER@SCILLA-TRANSPORT.EXAMPLE",
        "owner@ſcilla-transport.example",
        "owner@scılla-transport.example",
        "OWNER@ſCıLLA-TRANSPORT.EXAMPLE",
        " Owner@Scilla-Transport.example ",
    ]
    limit, _ = settings.SIGNIN_RATE_PER_ADDRESS
    client = client_for(alpha)
    for round_ in range(limit + 1):
        for n, variant in enumerate(variants):
            request_link(client, variant, ip=f"10.8.{round_}.{n}")
    assert [m.to for m in mail.outbox].count([person.email]) == limit


def test_the_lookup_key_keeps_look_alike_letters_apart():
    from tenants.selectors import email_key

    assert email_key(" Owner@Scilla.EXAMPLE ") == "owner@scilla.example"
    assert email_key("owner@ſcilla.example") != "owner@scilla.example"
    assert email_key("owner@scılla.example") != "owner@scilla.example"


@pytest.mark.parametrize(
    "earlier_checks, signs_in",
    [(settings.SIGNIN_RATE_PER_IP[0] - 1, True), (settings.SIGNIN_RATE_PER_IP[0], False)],
)
def test_checking_codes_is_limited_per_ip(alpha, earlier_checks, signs_in):
    client = client_for(alpha)
    request_code(client, alpha.owner.phone)
    code = texted_code(alpha.owner.phone)
    for _ in range(earlier_checks):  # malformed guesses: counted, without locking the challenge
        assert submit_code(client, "12ab", ip="10.9.0.1").status_code == 400
    response = submit_code(client, code, ip="10.9.0.1")
    if signs_in:
        assert response.status_code == 302 and response["Location"] == "/dashboard/"
    else:
        assert response.status_code == 429
        assert submit_code(client, code, ip="10.9.1.1").status_code == 302  # another IP; challenge intact


@pytest.mark.parametrize(
    "wrong, signs_in",
    [(settings.SIGNIN_CODE_MAX_ATTEMPTS - 1, True), (settings.SIGNIN_CODE_MAX_ATTEMPTS, False)],
)
def test_a_challenge_locks_at_its_wrong_code_limit(alpha, wrong, signs_in):
    client = client_for(alpha)
    request_code(client, alpha.owner.phone)
    code = texted_code(alpha.owner.phone)
    for _ in range(wrong):
        submit_code(client, f"{(int(code) + 1) % 1_000_000:06d}")
    response = submit_code(client, code)
    assert (response.status_code == 302) is signs_in


@pytest.mark.parametrize(
    "wrong, signs_in",
    [(settings.SIGNIN_CODE_FAILURES_PER_DAY - 1, True), (settings.SIGNIN_CODE_FAILURES_PER_DAY, False)],
)
def test_the_daily_wrong_code_limit_counts_exactly(alpha, wrong, signs_in):
    from tenants.services.signin import SignInFailed, signin_code_request, signin_code_verify

    pending = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
    pending_code = texted_code(alpha.owner.phone)
    while wrong > 0:
        challenge = signin_code_request(tenant=alpha.tenant, phone=alpha.owner.phone, ip=None)
        bad = f"{(int(texted_code(alpha.owner.phone)) + 1) % 10**6:06d}"
        for _ in range(min(wrong, settings.SIGNIN_CODE_MAX_ATTEMPTS)):
            with pytest.raises(SignInFailed):
                signin_code_verify(tenant=alpha.tenant, challenge=challenge, code=bad, ip=None)
            wrong -= 1
    if signs_in:
        assert (
            signin_code_verify(tenant=alpha.tenant, challenge=pending, code=pending_code, ip=None)
            == alpha.owner
        )
    else:
        with pytest.raises(SignInFailed):
            signin_code_verify(tenant=alpha.tenant, challenge=pending, code=pending_code, ip=None)


def test_a_deactivated_persons_outstanding_link_and_code_do_not_work(alpha):
    path = link_path(signin_link_issue(tenant=alpha.tenant, user=alpha.member))
    client = client_for(alpha)
    request_code(client, alpha.member.phone)
    code = texted_code(alpha.member.phone)
    User.objects.filter(pk=alpha.member.pk).update(is_active=False)
    assert client_for(alpha).get(path).status_code == 400
    assert client_for(alpha).post(path).status_code == 400
    assert submit_code(client, code).status_code == 400
    assert client.get("/dashboard/").status_code == 302
