"""Pages on a tenant's host show times in the business's own time zone (TenantConfig.timezone); the
public host and the staff admin stay in UTC, and no request inherits the previous one's zone."""

import datetime as dt

import time_machine

from tenants.models import TenantConfig
from tests.conftest import client_for
from tests.contracts.test_admin_contracts import detail_url, staff

CREATED = dt.datetime(2026, 11, 25, 16, 47, 5, tzinfo=dt.UTC)


def test_owner_pages_show_the_tenants_local_time_and_the_admin_utc(alpha, beta, make_contract):
    TenantConfig.objects.filter(tenant=beta.tenant).update(timezone="Europe/Paris")
    with time_machine.travel(CREATED, tick=False):
        ours, theirs = make_contract(alpha), make_contract(beta)
    _, admin = staff()

    toronto = client_for(alpha, user=alpha.owner).get(f"/contracts/{ours.pk}/").content.decode()
    assert "2026-11-25 11:47:05" in toronto  # America/Toronto, the default
    # The same thread serves the admin next: it must not keep Toronto's zone.
    assert "2026-11-25 16:47:05" in admin.get(detail_url(alpha, ours)).content.decode()
    paris = client_for(beta, user=beta.owner).get(f"/contracts/{theirs.pk}/").content.decode()
    assert "2026-11-25 17:47:05" in paris
