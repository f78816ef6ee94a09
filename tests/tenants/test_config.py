import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from tenants.fields import fernet
from tenants.models import TenantConfig
from tenants.services.config import tenant_connector_secrets_set
from tenants.validators import validate_hex_colour
from tests.conftest import client_for

DEFAULT_ACCENT = TenantConfig._meta.get_field("accent_color").default

GOOD = {
    "brand_name": "Alpha Movers",
    "primary_color": "#112233",
    "accent_color": "#445566",
    "timezone": "America/Vancouver",
    "locale": "fr-ca",
    "currency": "USD",
    "business_phone": "604 555 0123",
    "business_email": "hello@alpha.example",
    "feature_contracts": "on",
    "feature_dashboard": "on",
}


def test_owner_saves_settings_and_theme_follows(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.post("/dashboard/settings/", GOOD)
    assert response.status_code == 200 and "Settings saved." in response.content.decode()
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert (config.primary_color, config.timezone, config.currency) == ("#112233", "America/Vancouver", "USD")
    assert config.business_phone == "+16045550123"
    assert config.feature_chat is False  # unchecked box switches the area off
    css = client.get("/theme.css")
    assert css["Content-Type"].startswith("text/css")
    assert "--brand-primary: #112233;" in css.content.decode()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("primary_color", "blue", "six hex digits"),
        ("primary_color", "#11223g", "six hex digits"),
        ("accent_color", "#12345", "six hex digits"),
        ("accent_color", "112233", "six hex digits"),
        ("timezone", "Mars/Olympus", "Mars/Olympus is not one of the available choices"),
        ("business_phone", "555", "valid phone number"),
        ("currency", "EUR", "Select a valid choice"),
    ],
)
def test_bad_settings_are_field_errors_and_nothing_is_saved(alpha, field, value, message):
    fields = [name for name in GOOD if not name.startswith("feature_")]
    before = TenantConfig.objects.filter(pk=alpha.tenant.pk).values(*fields).get()
    client = client_for(alpha, user=alpha.owner)
    response = client.post("/dashboard/settings/", {**GOOD, field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    after = TenantConfig.objects.filter(pk=alpha.tenant.pk).values(*fields).get()
    assert after == before  # neither the bad value nor any other part of the form was saved
    assert after[field] != value


def test_owner_picks_the_timezone_from_a_sorted_list(alpha):
    html = client_for(alpha, user=alpha.owner).get("/dashboard/settings/").content.decode()
    select = html[
        html.index('<select name="timezone"') : html.index("</select>", html.index('name="timezone"'))
    ]
    zones = re.findall(r'<option value="([^"]+)"', select)
    assert len(zones) > 300 and zones == sorted(zones) and "Mars/Olympus" not in zones
    assert '<option value="America/Toronto" selected>' in select


def test_htmx_save_returns_only_the_form(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.post("/dashboard/settings/", GOOD, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="config-form"') and "<html" not in html
    assert "Settings saved." in html


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"accent_color": "#abcde"}, "accent_color"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"business_phone": "12"}, "business_phone"),
    ],
)
def test_api_rejects_bad_config_with_field_errors(alpha, payload, field):
    client = client_for(alpha, user=alpha.owner)
    response = client.patch("/api/v1/config/", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert (config.primary_color, config.accent_color) == ("#1d4ed8", DEFAULT_ACCENT)


@pytest.mark.parametrize("value", ["#1d4ed8", "#ABCDEF", "#000000"])
def test_hex_colours_are_accepted(value):
    validate_hex_colour(value)


@pytest.mark.parametrize("value", ["1d4ed8", "#1d4ed", "#1d4ed8a", "#1d4ed8\n", " #1d4ed8", "#1d4eg8", ""])
def test_anything_else_is_not_a_hex_colour(value):
    with pytest.raises(ValidationError):
        validate_hex_colour(value)


def test_api_updates_config(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.patch("/api/v1/config/", {"accent_color": "#abcdef"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["accent_color"] == "#abcdef"


def test_connector_secrets_are_encrypted_at_rest(alpha):
    config = alpha.tenant.config
    tenant_connector_secrets_set(
        config=config, connector="gsc", secrets={"refresh_token": "very-secret-token"}, actor=alpha.owner
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT connector_secrets FROM tenants_tenantconfig WHERE tenant_id = %s", [config.pk])
        raw = cursor.fetchone()[0]
    assert "very-secret-token" not in raw
    assert b"very-secret-token" in fernet().decrypt(raw.encode())
    assert TenantConfig.objects.get(pk=config.pk).connector_secrets == {
        "gsc": {"refresh_token": "very-secret-token"}
    }
    tenant_connector_secrets_set(config=config, connector="gsc", secrets={}, actor=alpha.owner)
    assert TenantConfig.objects.get(pk=config.pk).connector_secrets == {}


def test_a_wrong_encryption_key_is_a_clear_error(alpha, settings):
    tenant_connector_secrets_set(
        config=alpha.tenant.config, connector="ga4", secrets={"key": "x"}, actor=None
    )
    settings.FIELD_ENCRYPTION_KEYS = ["Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyMTI="]
    with pytest.raises(ValueError, match="INKWELL_FIELD_ENCRYPTION_KEYS"):
        TenantConfig.objects.get(pk=alpha.tenant.pk)


def png_bytes(size=(4, 4)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "#ff0000").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_owner_uploads_a_logo_that_only_their_host_serves(alpha, beta, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alpha, user=alpha.owner)
    logo = SimpleUploadedFile("brand.png", png_bytes((120, 40)), content_type="image/png")
    response = client.post("/dashboard/settings/", {**GOOD, "logo": logo})
    assert response.status_code == 200
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert config.logo.name.startswith(f"tenants/{alpha.tenant.pk}/logo-")
    assert f'src="/media/{config.logo.name}"' in client.get("/").content.decode()
    # its size goes in the img tag, so pages keep its space while it loads (no layout shift)
    size = f'width="{config.logo_width}" height="{config.logo_height}"'
    assert (config.logo_width, config.logo_height) == (120, 40)
    assert size in client.get("/").content.decode() and size in client.get("/dashboard/").content.decode()
    assert client_for(alpha).get(f"/media/{config.logo.name}").status_code == 200
    assert client_for(beta).get(f"/media/{config.logo.name}").status_code == 404
    beta_prefix = f"tenants/{beta.tenant.pk}/"
    for sneaky in (
        f"{beta_prefix}../../{config.logo.name}",
        f"{beta_prefix}%2e%2e/%2e%2e/{config.logo.name}",
        f"{beta_prefix}./x/../../../{config.logo.name}",
        f"{beta_prefix}x//../../../{config.logo.name}",
    ):
        assert client_for(beta).get(f"/media/{sneaky}").status_code == 404
    alpha_prefix = f"tenants/{alpha.tenant.pk}/"
    assert client_for(alpha).get(f"/media/{alpha_prefix}../../../../etc/passwd").status_code == 404
    assert (
        client_for(alpha).get(f"/media/{alpha_prefix}./{config.logo.name.rsplit('/', 1)[1]}").status_code
        == 200
    )
    assert (
        Client(HTTP_HOST="localhost").get(f"/media/{config.logo.name}").status_code == 404
    )  # staff only there


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not an image at all", "Upload a valid image"),
        (png_bytes((1500, 1500)) + b"\0" * (2 * 1024 * 1024), "2 MB"),
    ],
)
def test_bad_logo_is_a_field_error(alpha, media_root, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alpha, user=alpha.owner)
    logo = SimpleUploadedFile("brand.png", content, content_type="image/png")
    response = client.post("/dashboard/settings/", {**GOOD, "logo": logo})
    assert response.status_code == 400 and message in response.content.decode()
    assert not TenantConfig.objects.get(pk=alpha.tenant.pk).logo


def test_owner_clears_the_logo(alpha, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(alpha, user=alpha.owner)
    client.post(
        "/dashboard/settings/", {**GOOD, "logo": SimpleUploadedFile("b.png", png_bytes(), "image/png")}
    )
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).logo
    client.post("/dashboard/settings/", {**GOOD, "primary_color": "#000000"})  # no file sent: logo kept
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).logo
    response = client.post("/dashboard/settings/", {**GOOD, "logo-clear": "on"})
    assert response.status_code == 200
    assert not TenantConfig.objects.get(pk=alpha.tenant.pk).logo


def test_the_public_host_serves_tenant_files_only_to_staff_who_passed_the_admin_login(alpha, media_root):
    from django_otp import DEVICE_ID_SESSION_KEY

    from tenants.models import User
    from tenants.services.staff import staff_totp_enrol

    path = media_root / f"tenants/{alpha.tenant.pk}/logo-x.png"
    path.parent.mkdir(parents=True)
    path.write_bytes(png_bytes())
    staff = User.objects.create_superuser("staff@inkwell.example", "a-long-staff-password")
    device = staff_totp_enrol(user=staff, actor=None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)  # a password-only session: the authenticator's code was never given
    url = f"/media/tenants/{alpha.tenant.pk}/logo-x.png"
    assert client.get("/admin/").status_code == 302
    assert client.get(url).status_code == 404
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get("/admin/").status_code == 200
    assert client.get(url).status_code == 200
    # A sealed contract is customers' data, served only through its link or the owner's dashboard.
    sealed = media_root / "contracts/t_alpha/SC-2026-0001-x.pdf"
    sealed.parent.mkdir(parents=True)
    sealed.write_bytes(b"%PDF-1.7 sealed")
    assert client.get("/media/contracts/t_alpha/SC-2026-0001-x.pdf").status_code == 404
