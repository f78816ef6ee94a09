"""Writes record who made them: an append-only AuditEvent in the same transaction."""

import json

import pytest
from django.test import Client

from tenants.models import AuditEvent, User
from tenants.services.audit import audit_record
from tenants.services.config import tenant_config_update, tenant_connector_secrets_set
from tests.conftest import client_for, form_data, settings_form


def events(action):
    return list(AuditEvent.objects.filter(action=action))


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff@inkwell.example", "a-long-staff-password")


def test_settings_page_records_the_owner_and_the_changed_fields(alpha):
    response = client_for(alpha, user=alpha.owner).post(
        "/dashboard/settings/", settings_form(alpha, brand_name="Alpha Two", primary_color="#000000")
    )
    assert response.status_code == 200
    [event] = events("config.updated")
    assert (event.actor, event.actor_label, event.tenant) == (alpha.owner, alpha.owner.email, alpha.tenant)
    assert event.data == {"fields": ["brand_name", "primary_color"]}


def test_api_records_the_owner(alpha):
    client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/", {"accent_color": "#abcdef"}, content_type="application/json"
    )
    [event] = events("config.updated")
    assert (event.actor, event.tenant, event.data) == (
        alpha.owner,
        alpha.tenant,
        {"fields": ["accent_color"]},
    )


def test_saving_unchanged_settings_records_nothing(alpha):
    assert (
        client_for(alpha, user=alpha.owner).post("/dashboard/settings/", settings_form(alpha)).status_code
        == 200
    )
    assert events("config.updated") == []


def test_a_refused_update_records_nothing(alpha):
    response = client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/", {"primary_color": "blue"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert events("config.updated") == []


def test_connector_secrets_are_audited_by_name_never_by_value(alpha):
    config = alpha.tenant.config
    tenant_connector_secrets_set(
        config=config, connector="gsc", secrets={"token": "s3cr3t-v4lue"}, actor=alpha.owner
    )
    tenant_connector_secrets_set(config=config, connector="gsc", secrets={}, actor="agent:nightly-sync")
    [added] = events("config.connector_secrets_set")
    [removed] = events("config.connector_secrets_removed")
    assert (added.actor, added.data) == (alpha.owner, {"connector": "gsc"})
    assert (removed.actor, removed.actor_label) == (None, "agent:nightly-sync")
    assert "s3cr3t-v4lue" not in json.dumps([added.data, removed.data])


def test_signing_out_everywhere_records_who_asked_and_where(alpha):
    response = client_for(alpha, user=alpha.member).post("/sign-in/out/everywhere/")
    assert response.status_code == 302
    [event] = events("user.signed_out_everywhere")
    assert (event.actor, event.tenant, event.data) == (
        alpha.member,
        alpha.tenant,
        {"user": alpha.member.email},
    )


def test_staff_signing_someone_out_everywhere_is_recorded(alpha, staff):
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    response = client.post(
        "/admin/tenants/user/", {"action": "sign_out_everywhere", "_selected_action": [alpha.owner.pk]}
    )
    assert response.status_code == 302
    [event] = events("user.signed_out_everywhere")
    assert (event.actor, event.tenant, event.data) == (staff, None, {"user": alpha.owner.email})
    assert User.objects.get(pk=alpha.owner.pk).session_generation == alpha.owner.session_generation + 1


def test_the_platform_itself_is_recorded_as_system(alpha):
    tenant_config_update(config=alpha.tenant.config, data={"brand_name": "Alpha Two"}, actor=None)
    [event] = events("config.updated")
    assert (event.actor, event.actor_label) == (None, "system")


def test_an_event_is_never_changed(alpha):
    event = audit_record(actor=alpha.owner, action="config.updated", tenant=alpha.tenant, data={"fields": []})
    event.action = "nothing.happened"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "config.updated"


def test_staff_read_the_trail_in_the_admin_but_cannot_add_change_or_delete(alpha, staff):
    event = audit_record(
        actor=alpha.owner, action="config.updated", tenant=alpha.tenant, data={"fields": ["logo"]}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    listing = client.get("/admin/tenants/auditevent/")
    assert listing.status_code == 200 and alpha.owner.email in listing.content.decode()
    assert client.get(f"/admin/tenants/auditevent/{event.pk}/change/").status_code == 200  # a read-only view
    assert client.get("/admin/tenants/auditevent/add/").status_code == 403
    assert client.post(f"/admin/tenants/auditevent/{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"/admin/tenants/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "config.updated"


def admin_change_form(response) -> dict:
    """The POST data of an admin change page as it was shown: the model form and every inline."""
    forms, data = [response.context["adminform"].form], {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms += inline.formset.forms
    return {**data, **form_data(*forms)}


def test_staff_editing_a_tenants_configuration_in_the_admin_is_recorded(alpha, staff):
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/change/"
    data = admin_change_form(client.get(url))
    data["config-0-brand_name"] = "Alpha By Staff"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    [event] = events("config.updated")
    assert (event.actor, event.tenant, event.data) == (staff, alpha.tenant, {"fields": ["brand_name"]})
