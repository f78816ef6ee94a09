"""Security headers: a Content-Security-Policy on every page, no caching of private answers,
__Host- cookies on https deployments."""

import re
import runpy

import pytest
from cryptography.fernet import Fernet
from django.test import Client

import inkwell.settings
from tenants.models import User
from tests.conftest import client_for

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


@pytest.fixture
def staff(db):
    user = User.objects.create_superuser("staff@inkwell.example", "a-long-staff-password")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.fixture
def pages(alpha, staff):
    """(client, path, expected status) of every kind of page: public, tenant, dashboard, admin, API."""
    member = client_for(alpha, user=alpha.owner)
    public = Client(HTTP_HOST="localhost")
    return [
        (public, "/", 200),
        (public, "/pricing/", 200),
        (public, "/admin/login/", 200),
        (public, "/no-such-page/", 404),
        (client_for(alpha), "/", 200),
        (client_for(alpha), "/sign-in/", 200),
        (member, "/dashboard/", 200),
        (member, "/dashboard/settings/", 200),
        (member, "/api/v1/me/", 200),
        (staff, "/admin/", 200),
        (staff, "/admin/tenants/tenant/", 200),
        (staff, f"/admin/tenants/tenant/{alpha.tenant.pk}/change/", 200),
        (staff, "/admin/tenants/tenant/provision/", 200),
    ]


def test_every_page_has_a_policy_without_inline_scripts_or_styles(pages):
    for client, path, status in pages:
        response = client.get(path)
        assert response.status_code == status, path
        directives = policy(response)
        assert directives["script-src"] == ["'self'"], path
        assert directives["style-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path


def test_our_pages_hold_nothing_the_policy_would_block(pages):
    # The policy would silently break such markup in browsers, so none is written: no inline script
    # anywhere, and no inline style in our own templates. (django-tenants' admin index decorates
    # the app list with inline styles; browsers drop them, which is only cosmetic.)
    for client, path, _status in pages:
        html = client.get(path).content.decode()
        patterns = [INLINE_SCRIPT, HANDLER_ATTRIBUTE]
        if not path.startswith("/admin/"):
            patterns.append(STYLE_ATTRIBUTE)
            assert "<style" not in html, path
        for pattern in patterns:
            found = [m for m in pattern.findall(html) if 'type="application/json"' not in m]
            assert found == [], (path, found)


def test_htmx_does_not_inject_its_indicator_style(alpha):
    html = client_for(alpha, user=alpha.owner).get("/dashboard/").content.decode()
    assert '"includeIndicatorStyles": false' in html


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/settings/",
        "/api/v1/me/",
        "/api/v1/config/",
        "/contracts/",
        "/contracts/new/",
    ],
)
def test_private_answers_are_never_cached(alpha, path):
    response = client_for(alpha, user=alpha.owner).get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/api/v1/me/", "/dashboard/"])
def test_refusals_of_private_urls_are_never_cached_either(alpha, path):
    assert client_for(alpha).get(path)["Cache-Control"] == "private, no-store"


def test_public_pages_keep_their_own_caching(alpha):
    assert "no-store" not in client_for(alpha).get("/").get("Cache-Control", "")
    assert client_for(alpha).get("/theme.css")["Cache-Control"] == "max-age=300"


def load_settings(monkeypatch, public_url: str) -> dict:
    """Evaluate inkwell/settings.py afresh under the given environment (the running settings stay)."""
    monkeypatch.setenv("INKWELL_PUBLIC_URL", public_url)
    monkeypatch.setenv("INKWELL_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("INKWELL_FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("INKWELL_EMAIL_TRANSPORT", "django.core.mail.backends.locmem.EmailBackend")
    monkeypatch.setenv("DATABASE_URL", "postgresql://inkwell@db.example:5432/inkwell")
    monkeypatch.setenv("REDIS_URL", "redis://redis.example:6379/0")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_deploy")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_deploy")
    return runpy.run_path(inkwell.settings.__file__)


def test_https_deployments_use_host_only_cookie_names(monkeypatch):
    loaded = load_settings(monkeypatch, "https://inkwell.example")
    assert loaded["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert loaded["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    # What browsers require of a __Host- cookie:
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]
    assert loaded.get("SESSION_COOKIE_DOMAIN") is None and loaded.get("CSRF_COOKIE_DOMAIN") is None
    assert loaded.get("SESSION_COOKIE_PATH", "/") == "/" and loaded.get("CSRF_COOKIE_PATH", "/") == "/"


def test_plain_http_keeps_the_usual_cookie_names(monkeypatch):
    # Browsers drop __Host- cookies that are not Secure, so http development must not use them.
    loaded = load_settings(monkeypatch, "http://localhost:8000")
    assert "SESSION_COOKIE_NAME" not in loaded and "CSRF_COOKIE_NAME" not in loaded


def test_admin_messages_ride_in_the_session_not_in_a_cookie_of_their_own(alpha, staff):
    """Only the session and CSRF cookies are set, the two that get __Host- names on https."""
    response = staff.post(
        "/admin/tenants/tenant/", {"action": "reactivate", "_selected_action": [alpha.tenant.pk]}
    )
    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert "cannot become active" in staff.get(response["Location"]).content.decode()
