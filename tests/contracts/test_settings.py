"""The owner's contract settings and terms: who may change them, what is refused, what it changes."""

import pytest
from django_tenants.utils import tenant_context

from contracts.models import ContractTemplate, PortalSettings
from tenants.models import AuditEvent
from tests.conftest import client_for

SETTINGS = {
    "form": "settings",
    "link_ttl_days": "14",
    "reminder_days": "5, 2",
    "review_url": "https://g.page/r/scilla/review",
    "reference_prefix": "sc",
    "require_sms_code": "on",
}
TERMS = {
    "form": "terms",
    "title": "Shipping contract",
    "terms": "## 1. New terms\nChanged.",
    "consent_text": "I agree.",
}


def portal(world) -> PortalSettings:
    with tenant_context(world.tenant):
        return PortalSettings.load()


def test_the_owner_saves_portal_settings_and_they_apply(alpha, make_contract):
    response = client_for(alpha, user=alpha.owner).post("/contracts/settings/", SETTINGS)
    assert response.status_code == 302
    saved = portal(alpha)
    assert (saved.link_ttl_days, saved.reminder_days, saved.reference_prefix, saved.require_sms_code) == (
        14, [2, 5], "SC", True,
    )  # fmt: skip
    assert make_contract(alpha).reference.startswith("SC-")
    event = AuditEvent.objects.get(action="contracts.settings_updated")
    assert event.actor == alpha.owner and event.tenant == alpha.tenant
    # "5, 2" is the default [2, 5] again: only what really changed is named.
    assert event.data["fields"] == ["link_ttl_days", "reference_prefix", "require_sms_code", "review_url"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("reminder_days", "1, 2, 3, 4"),  # one past the three allowed
        ("reminder_days", "0"),
        ("reminder_days", "61"),
        ("reminder_days", "two"),
        ("link_ttl_days", "0"),
        ("link_ttl_days", "366"),
        ("reference_prefix", "S-C"),
        ("review_url", "javascript:alert(1)"),
    ],
)
def test_bad_settings_are_field_errors_and_change_nothing(alpha, field, value):
    response = client_for(alpha, user=alpha.owner).post("/contracts/settings/", {**SETTINGS, field: value})
    assert response.status_code == 400 and "nothing was saved" in response.content.decode()
    assert portal(alpha).link_ttl_days == 30 and not AuditEvent.objects.filter(
        action="contracts.settings_updated"
    )


def test_three_reminders_are_the_limit(alpha):
    client_for(alpha, user=alpha.owner).post("/contracts/settings/", {**SETTINGS, "reminder_days": "1, 3, 7"})
    assert portal(alpha).reminder_days == [1, 3, 7]


def test_changed_terms_are_a_new_version_and_sent_contracts_keep_theirs(alpha, make_contract, send):
    sent = send(alpha, make_contract(alpha))
    client = client_for(alpha, user=alpha.owner)
    assert client.post("/contracts/settings/", TERMS).status_code == 302
    assert client.post("/contracts/settings/", TERMS).status_code == 302  # unchanged: no new version
    with tenant_context(alpha.tenant):
        assert list(ContractTemplate.objects.values_list("version", flat=True)) == [2, 1]
        sent.refresh_from_db()
        assert sent.template.version == 1 and "New terms" not in sent.terms_snapshot
    later = send(alpha, make_contract(alpha))
    with tenant_context(alpha.tenant):
        later.refresh_from_db()
        assert later.template.version == 2 and "New terms" in later.terms_snapshot
    assert AuditEvent.objects.filter(action="contracts.terms_published").count() == 1


def test_only_owners_of_this_tenant_change_contract_settings(alpha, beta):
    from tenants.models import Membership

    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    assert client_for(alpha, user=alpha.member).post("/contracts/settings/", SETTINGS).status_code == 403
    assert client_for(alpha, user=beta.owner).post("/contracts/settings/", SETTINGS).status_code == 403
    assert client_for(beta, user=alpha.owner).get("/contracts/settings/").status_code == 404
    assert portal(alpha).link_ttl_days == 30
