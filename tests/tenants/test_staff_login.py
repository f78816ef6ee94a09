"""The staff admin login: throttling of wrong passwords, password rules and the TOTP second factor."""

import importlib.util
from base64 import b32decode
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from tenants.models import AuditEvent, User
from tenants.services.signin import signin_link_issue
from tenants.services.staff import staff_totp_enrol
from tests.conftest import client_for

STAFF = "ops@example.com"
PASSWORD = "a-long-staff-passphrase"
LIMIT = settings.AXES_FAILURE_LIMIT
LOCKED = "Too many wrong passwords"


@pytest.fixture
def staff(db):
    return User.objects.create_superuser(STAFF, PASSWORD)


def admin_login(password, *, username=STAFF, token=None, ip="203.0.113.7", client=None):
    client = client or Client(HTTP_HOST="localhost")
    data = {"username": username, "password": password}
    if token is not None:
        data["otp_token"] = token
    return client, client.post("/admin/login/?next=/admin/", data, REMOTE_ADDR=ip)


def fail(times, *, username=STAFF, ip="203.0.113.7"):
    client = Client(HTTP_HOST="localhost")
    for _ in range(times):
        admin_login("not-the-password", username=username, ip=ip, client=client)


def in_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def current_code(device) -> str:
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


# --- throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize("failures, allowed", [(LIMIT - 1, True), (LIMIT, False), (40, False)])
def test_wrong_passwords_lock_the_staff_login(staff, failures, allowed):
    fail(failures)
    client, response = admin_login(PASSWORD)
    assert in_admin(client) is allowed
    if not allowed:
        assert response.status_code == 429 and LOCKED in response.content.decode()


def test_failed_attempts_are_kept_without_password_or_code(staff):
    admin_login("not-the-password", token="123456")
    attempt = AccessAttempt.objects.get(username=STAFF, ip_address="203.0.113.7")
    assert attempt.failures_since_start == 1
    assert "not-the-password" not in attempt.post_data and "123456" not in attempt.post_data


def test_signing_in_clears_the_count_of_wrong_passwords(staff):
    fail(LIMIT - 1)
    assert in_admin(admin_login(PASSWORD)[0])
    fail(LIMIT - 1)
    assert in_admin(admin_login(PASSWORD)[0])


def test_the_lock_is_for_the_account_from_that_address_only(staff):
    fail(LIMIT, ip="203.0.113.7")
    assert in_admin(admin_login(PASSWORD, ip="198.51.100.9")[0])  # the staff member elsewhere
    fail(LIMIT, username="someone@example.com", ip="198.51.100.9")
    assert in_admin(admin_login(PASSWORD, ip="198.51.100.9")[0])  # another account's failures


def test_addresses_of_one_ipv6_block_share_one_lock(staff):
    """One subscriber's /64 holds more addresses than any lock could count one by one."""
    for host in range(1, LIMIT + 1):
        fail(1, ip=f"2001:db8:1:2::{host:x}")
    assert not in_admin(admin_login(PASSWORD, ip="2001:db8:1:2::ffff")[0])
    assert in_admin(admin_login(PASSWORD, ip="2001:db8:1:3::1")[0])  # the next block is someone else


@pytest.mark.parametrize("minutes_past_cooloff, allowed", [(-1, False), (1, True)])
def test_the_lock_lifts_after_the_cooloff(staff, minutes_past_cooloff, allowed):
    fail(LIMIT)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=minutes_past_cooloff)
    )
    assert in_admin(admin_login(PASSWORD)[0]) is allowed


def test_a_locked_admin_login_leaves_tenant_sign_in_alone(alpha):
    fail(LIMIT + 1, username=alpha.owner.email, ip="127.0.0.1")  # guessing a password the owner hasn't
    assert AccessAttempt.objects.get(username=alpha.owner.email).failures_since_start == LIMIT + 1
    path = "/" + signin_link_issue(tenant=alpha.tenant, user=alpha.owner).split("/", 3)[3]
    client = client_for(alpha)
    response = client.post(path, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert client.get("/dashboard/", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert not AccessLog.objects.exists()  # sign-ins are not logged by the staff login's throttle


# --- password rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, rule",
    [
        ("x7Kp2mQ9vL4", "too short"),  # 11 characters
        ("x7Kp2mQ9vL4z", None),  # 12
        ("password1234", "too common"),
        ("480217365921", "entirely numeric"),
        ("ops@example.com!", "too similar"),
    ],
)
def test_staff_passwords_follow_the_rules(staff, password, rule):
    if rule is None:
        validate_password(password, user=staff)
    else:
        with pytest.raises(ValidationError, match=rule):
            validate_password(password, user=staff)


def test_the_admin_refuses_to_set_a_weak_password(staff):
    client, _ = admin_login(PASSWORD)
    response = client.post(
        f"/admin/tenants/user/{staff.pk}/password/",
        {"password1": "password1234", "password2": "password1234", "usable_password": "true"},
    )
    assert response.status_code == 200 and "too common" in response.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


# --- second factor ---------------------------------------------------------------------------------


def test_without_an_authenticator_the_password_is_enough_only_where_optional(staff, settings):
    settings.STAFF_2FA = "optional"  # development: `make run`'s printed staff account
    assert in_admin(admin_login(PASSWORD)[0])
    settings.STAFF_2FA = "required"
    client, response = admin_login(PASSWORD)
    assert not in_admin(client) and "staff_totp_enrol" in response.content.decode()
    signed_in = Client(HTTP_HOST="localhost")
    signed_in.force_login(staff)  # a session the second factor never verified
    assert not in_admin(signed_in)


@pytest.mark.parametrize("mode", ["required", "optional"])
def test_staff_with_an_authenticator_need_its_current_code(staff, settings, mode):
    settings.STAFF_2FA = mode
    device = staff_totp_enrol(user=staff, actor=None)
    assert not in_admin(admin_login(PASSWORD)[0])
    code = current_code(device)
    client, response = admin_login(PASSWORD, token=code)
    assert response.status_code == 302 and in_admin(client)
    assert not in_admin(admin_login(PASSWORD, token=code)[0])  # a code works once
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    assert not in_admin(admin_login(PASSWORD, token=wrong)[0])


def test_staff_enrol_their_authenticator_with_a_command(staff, settings, capsys):
    settings.STAFF_2FA = "required"
    call_command("staff_totp_enrol", STAFF.upper())
    uri = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("otpauth://"))
    assert uri.startswith("otpauth://totp/Inkwell%20localhost%3Aops%40example.com?")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    code = str(totp(b32decode(secret))).zfill(6)  # what the person's app shows
    assert in_admin(admin_login(PASSWORD, token=code)[0])

    with pytest.raises(CommandError, match="already has an authenticator"):
        call_command("staff_totp_enrol", STAFF)
    call_command("staff_totp_enrol", STAFF, "--replace")  # a lost phone
    assert staff.totpdevice_set.count() == 1 and staff.totpdevice_set.get().key != b32decode(secret).hex()
    events = AuditEvent.objects.filter(action="staff.authenticator_enrolled").order_by("pk")
    assert [(e.actor_label, e.data) for e in events] == [
        ("system", {"user": STAFF, "replaced": False}),
        ("system", {"user": STAFF, "replaced": True}),
    ]


def test_only_staff_get_an_authenticator(alpha):
    with pytest.raises(CommandError, match="not active staff"):
        call_command("staff_totp_enrol", alpha.owner.email)
    with pytest.raises(CommandError, match="No account"):
        call_command("staff_totp_enrol", "nobody@example.com")
    assert not alpha.owner.totpdevice_set.exists()


@pytest.fixture
def load_settings(monkeypatch):
    """Run inkwell/settings.py afresh under a given environment, as a new process would, into a module
    of its own (the running settings stay as they are)."""
    import inkwell.settings

    for name, value in {
        "DATABASE_URL": "postgresql://db.invalid/inkwell",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "INKWELL_SECRET_KEY": "k" * 50,
        "INKWELL_FIELD_ENCRYPTION_KEYS": "a" * 43 + "=",
        "INKWELL_EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
        "STRIPE_SECRET_KEY": "sk_test_deploy",
        "STRIPE_WEBHOOK_SECRET": "whsec_deploy",
    }.items():
        monkeypatch.setenv(name, value)

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        spec = importlib.util.spec_from_file_location("settings_probe", inkwell.settings.__file__)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.mark.parametrize(
    "url, choice, expected",
    [
        ("https://inkwell.example", "", "required"),
        ("http://localhost:8000", "", "optional"),
        ("http://localhost:8000", "required", "required"),
    ],
)
def test_the_second_factor_is_required_on_https_by_default(load_settings, url, choice, expected):
    assert expected == load_settings(INKWELL_PUBLIC_URL=url, INKWELL_STAFF_2FA=choice).STAFF_2FA


def test_an_https_deployment_cannot_make_the_second_factor_optional(load_settings):
    with pytest.raises(ImproperlyConfigured, match="must be 'required' on an https deployment"):
        load_settings(INKWELL_PUBLIC_URL="https://inkwell.example", INKWELL_STAFF_2FA="optional")


def test_an_unknown_second_factor_setting_is_refused(load_settings):
    with pytest.raises(ImproperlyConfigured, match="INKWELL_STAFF_2FA"):
        load_settings(INKWELL_STAFF_2FA="sometimes")


def test_the_login_limit_comes_from_the_environment(load_settings):
    loaded = load_settings(INKWELL_LOGIN_FAILURE_LIMIT="7", INKWELL_LOGIN_LOCKOUT_MINUTES="45")
    assert (7, timedelta(minutes=45)) == (loaded.AXES_FAILURE_LIMIT, loaded.AXES_COOLOFF_TIME)
