"""What may be changed in a tenant's configuration, and what its text may hold."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tenants.models import Tenant, TenantConfig, User
from tenants.services.config import EDITABLE_FIELDS, tenant_config_update, tenant_connector_secrets_set
from tenants.services.provisioning import tenant_provision
from tenants.validators import validate_no_control_characters
from tests.conftest import client_for

FORM = {
    "brand_name": "Alpha Movers",
    "primary_color": "#112233",
    "accent_color": "#445566",
    "timezone": "America/Toronto",
    "locale": "en-ca",
    "currency": "CAD",
    "business_phone": "",
    "business_email": "",
    "feature_dashboard": "on",
}


def stored(world) -> TenantConfig:
    return TenantConfig.objects.get(pk=world.tenant.pk)


# --- the allow-list -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"connector_secrets": {"gsc": {"refresh_token": "planted"}}},
        {"brand_name": "Renamed", "tenant": 2},
        {"brand_name": "Renamed", "updated": "2020-01-01T00:00:00Z"},
    ],
)
def test_api_refuses_keys_outside_the_allow_list_and_changes_nothing(alpha, payload):
    response = client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    forbidden = next(key for key in payload if key != "brand_name")
    assert response.json()["fields"][forbidden] == [
        {"code": "field_not_editable", "message": "This setting cannot be changed here."}
    ]
    config = stored(alpha)
    assert config.brand_name == "Alpha Movers" and config.connector_secrets == {}


def test_service_refuses_keys_outside_the_allow_list(alpha):
    config = alpha.tenant.config
    with pytest.raises(ValidationError) as exc:
        tenant_config_update(
            config=config, data={"brand_name": "Renamed", "connector_secrets": {"x": "y"}}, actor=alpha.owner
        )
    assert exc.value.error_dict["connector_secrets"][0].code == "field_not_editable"
    assert stored(alpha).brand_name == "Alpha Movers" and stored(alpha).connector_secrets == {}


def test_every_allowed_field_can_be_set_by_the_service(alpha):
    data = {
        "brand_name": "Alpha Two", "logo": False, "primary_color": "#000000", "accent_color": "#ffffff",
        "timezone": "America/Vancouver", "locale": "fr-ca", "currency": "USD",
        "business_phone": "+16045550123", "business_email": "hi@alpha.example", "feature_contracts": False,
        "feature_dashboard": False, "feature_chat": False, "feature_questionnaire": False,
        "feature_campaigns": True, "feature_agents": False, "about": "Movers.\nSince 1998.", "services": "Cars", "service_area": "Ontario",
        "hours": "Mon–Fri 8–18", "agent_stuck_minutes": 30, "agent_fresh_heartbeat_minutes": 5,
        "agent_idle_minutes": 20, "agent_dead_minutes": 120, "task_archive_minutes": 60,
        "task_claim_timeout_minutes": 240,
    }  # fmt: skip
    assert set(data) == set(EDITABLE_FIELDS)
    tenant_config_update(config=alpha.tenant.config, data=data, actor=alpha.owner)
    config = stored(alpha)
    assert {k: getattr(config, k) for k in data if k != "logo"} == {
        k: v for k, v in data.items() if k != "logo"
    }


# --- control characters -------------------------------------------------------------------------------

TEXT_FIELDS = {
    "brand_name": "Alpha\r\nBcc: victim@example.com",
    "business_email": "hello@alpha.example\r\nBcc: victim@example.com",
    "business_phone": "+1 416 555\r\n0199",
    "timezone": "America/\r\nToronto",
}


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_api_refuses_line_breaks_in_every_text_field(alpha, field):
    response = client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/", {field: TEXT_FIELDS[field]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "control_characters" in [e["code"] for e in response.json()["fields"][field]]
    assert getattr(stored(alpha), field) == getattr(alpha.tenant.config, field)


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_settings_form_refuses_line_breaks_in_every_text_field(alpha, field):
    response = client_for(alpha, user=alpha.owner).post(
        "/dashboard/settings/", {**FORM, field: TEXT_FIELDS[field]}
    )
    assert response.status_code == 400
    # The time zone is picked from a list in the form, so a value with a line break is simply not one.
    expected = "is not one of the available choices" if field == "timezone" else "Remove line breaks"
    assert expected in response.content.decode()
    assert stored(alpha).primary_color == "#1d4ed8"  # nothing of the form was applied


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_service_refuses_line_breaks_in_every_text_field(alpha, field):
    with pytest.raises(ValidationError) as exc:
        tenant_config_update(config=alpha.tenant.config, data={field: TEXT_FIELDS[field]}, actor=alpha.owner)
    assert "control_characters" in [e.code for e in exc.value.error_dict[field]]


@pytest.mark.parametrize(
    "value", ["a\tb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b", "a\u2029b", "a\nb"]
)
def test_control_characters_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        validate_no_control_characters(value)
    assert exc.value.code == "control_characters"


def test_ordinary_text_is_accepted():
    validate_no_control_characters("Déménagement Côte-Nord & Fils — 24/7 ✓")


# --- tenant names -------------------------------------------------------------------------------------


def provision_named(name: str, subdomain: str = "gamma"):
    return tenant_provision(
        name=name, subdomain=subdomain, owner_email=f"owner@{subdomain}.example", send_welcome=False
    )


def test_a_name_at_the_length_limit_is_provisioned(worlds):
    name = "N" * Tenant._meta.get_field("name").max_length
    assert provision_named(name).tenant.name == name


def test_a_name_one_past_the_limit_is_a_field_error(worlds):
    with pytest.raises(ValidationError) as exc:
        provision_named("N" * (Tenant._meta.get_field("name").max_length + 1))
    assert exc.value.error_dict["name"][0].code == "name_too_long"
    assert not Tenant.objects.filter(subdomain="gamma").exists()


def test_a_name_with_a_line_break_is_a_field_error(worlds):
    with pytest.raises(ValidationError) as exc:
        provision_named("Gamma\r\nMovers")
    assert exc.value.error_dict["name"][0].code == "control_characters"


def test_tenant_create_explains_a_500_character_name(worlds):
    with pytest.raises(CommandError, match=r"name: Use at most 120 characters .* has 500"):
        call_command(
            "tenant_create", "--name", "N" * 500, "--subdomain", "gamma", "--owner-email", "g@g.example"
        )
    assert not Tenant.objects.filter(subdomain="gamma").exists()


def test_an_update_from_a_stale_copy_keeps_connector_secrets_set_meanwhile(alpha):
    stale = TenantConfig.objects.get(pk=alpha.tenant.pk)  # loaded with the request, before the write below
    tenant_connector_secrets_set(
        config=TenantConfig.objects.get(pk=alpha.tenant.pk),
        connector="gsc",
        secrets={"token": "t"},
        actor=None,
    )
    tenant_config_update(config=stale, data={"brand_name": "Alpha Two"}, actor=None)
    stored = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert (stored.brand_name, stored.connector_secrets) == ("Alpha Two", {"gsc": {"token": "t"}})


def provision_owned_by(owner_name: str = "", owner_email: str = "owner@gamma.example"):
    return tenant_provision(
        name="Gamma", subdomain="gamma", owner_email=owner_email, owner_name=owner_name, send_welcome=False
    )


def test_an_owner_name_at_the_length_limit_is_kept(worlds):
    name = "N" * User._meta.get_field("full_name").max_length
    assert provision_owned_by(name).owner.full_name == name


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("owner_name", "N" * 151, "name_too_long"),
        ("owner_name", "Gail\r\nBcc: x@evil.example", "control_characters"),
        ("owner_email", "o" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".ca", "invalid_email"),
    ],
)
def test_owner_details_the_database_cannot_hold_are_field_errors(worlds, field, value, code):
    """Billing will pass a public signup's owner details straight in: a value the account can't hold
    must be a field error, not a database error."""
    with pytest.raises(ValidationError) as exc:
        provision_owned_by(**{field: value})
    assert [error.code for error in exc.value.error_dict[field]] == [code]
    assert not Tenant.objects.filter(subdomain="gamma").exists()
