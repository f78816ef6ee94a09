"""A replaced or cleared logo's file is deleted once the change is committed, and only then."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from tenants.models import TenantConfig
from tenants.services.config import tenant_config_update
from tests.conftest import client_for, settings_form


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def logo(name="brand.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#ff0000").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def save_settings(client, committed, **extra):
    with committed(execute=True):
        response = client.post("/dashboard/settings/", settings_form(client.world, **extra))
    assert response.status_code == 200
    return TenantConfig.objects.get(pk=client.world.tenant.pk).logo.name


@pytest.fixture
def owner(alpha, media_root):
    client = client_for(alpha, user=alpha.owner)
    client.world = alpha
    return client


def test_replacing_the_logo_deletes_the_old_file(owner, media_root, django_capture_on_commit_callbacks):
    first = save_settings(owner, django_capture_on_commit_callbacks, logo=logo())
    second = save_settings(owner, django_capture_on_commit_callbacks, logo=logo("new.png"))
    assert first != second
    assert not (media_root / first).exists()
    assert owner.get(f"/media/{first}").status_code == 404
    assert (media_root / second).exists()
    assert owner.get(f"/media/{second}").status_code == 200


def test_saving_without_a_new_file_keeps_the_logo(owner, media_root, django_capture_on_commit_callbacks):
    first = save_settings(owner, django_capture_on_commit_callbacks, logo=logo())
    assert save_settings(owner, django_capture_on_commit_callbacks, brand_name="Alpha Two") == first
    assert (media_root / first).exists()


def test_clearing_the_logo_deletes_its_file(owner, media_root, django_capture_on_commit_callbacks):
    first = save_settings(owner, django_capture_on_commit_callbacks, logo=logo())
    assert save_settings(owner, django_capture_on_commit_callbacks, **{"logo-clear": "on"}) == ""
    assert not (media_root / first).exists()
    assert owner.get(f"/media/{first}").status_code == 404


def test_a_rolled_back_change_keeps_the_old_file(
    alpha, owner, media_root, django_capture_on_commit_callbacks
):
    first = save_settings(owner, django_capture_on_commit_callbacks, logo=logo())
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        tenant_config_update(config=config, data={"logo": logo("new.png")}, actor=alpha.owner)
        raise RuntimeError("something later in the same transaction failed")
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).logo.name == first
    assert (media_root / first).exists()
    assert owner.get(f"/media/{first}").status_code == 200


def test_staff_replacing_a_logo_in_the_admin_deletes_the_old_file(
    alpha, owner, media_root, django_capture_on_commit_callbacks
):
    from django.test import Client

    from tenants.models import User
    from tests.tenants.test_audit import admin_change_form

    first = save_settings(owner, django_capture_on_commit_callbacks, logo=logo())
    staff = Client(HTTP_HOST="localhost")
    staff.force_login(User.objects.create_superuser("staff@inkwell.example", "a-long-staff-password"))
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/change/"
    data = {**admin_change_form(staff.get(url)), "config-0-logo": logo("by-staff.png")}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(url, data).status_code == 302
    second = TenantConfig.objects.get(pk=alpha.tenant.pk).logo.name
    assert second != first and (media_root / second).exists()
    assert not (media_root / first).exists()
