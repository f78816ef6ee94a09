"""Dashboard settings → analytics connections: each connector's state and last run, warnings when
the last run failed or nothing succeeded lately, and the owner's "Run now" (one at a time, rate-limited)."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from marketing.models import IngestionRun
from marketing.selectors_ingestion import STALE_AFTER, connector_health
from marketing.services.ingestion import RUN_NOW_ACTIVE_FOR, RUN_NOW_LIMIT
from tenants.models import AuditEvent, Membership, TenantConfig, User
from tests.conftest import client_for

SETTINGS = "/dashboard/settings/"


def run_now_url(connector):
    return f"/dashboard/settings/connectors/{connector}/run/"


def connect_google(world, **connectors):
    """Google connected by OAuth, with these connectors' settings."""
    TenantConfig.objects.filter(pk=world.tenant.pk).update(connectors=connectors)
    config = TenantConfig.objects.get(pk=world.tenant.pk)
    config.connector_secrets = {"google": {"type": "oauth", "refresh_token": "1//token", "scopes": []}}
    config.save(update_fields=["connector_secrets"])
    world.tenant.refresh_from_db()
    world.tenant.config = TenantConfig.objects.get(pk=world.tenant.pk)


def add_run(connector, status, *, ago=timedelta(hours=1), rows=0, error=""):
    when = timezone.now() - ago
    run = IngestionRun.objects.create(
        connector=connector, window_start=date(2026, 11, 1), window_end=date(2026, 11, 5), status=status,
        rows=rows, error=error, trigger="schedule",
        finished=when if status in ("succeeded", "failed") else None,
    )  # fmt: skip
    IngestionRun.objects.filter(pk=run.pk).update(created=when)
    return IngestionRun.objects.get(pk=run.pk)


def by_name(health):
    return {h["connector"]: h for h in health}


# --- connector_health ----------------------------------------------------------------------------


def test_a_new_business_sees_google_unconnected_and_demo_data_never_fetched(alpha):
    with tenant_context(alpha.tenant):
        health = connector_health(tenant=alpha.tenant)
    assert [(h["connector"], h["state"], h["connected"]) for h in health] == [
        ("gsc", "not_connected", False),
        ("ga4", "not_connected", False),
        ("ads", "not_connected", False),
        ("demo", "connected", True),
    ]
    demo = health[-1]
    assert demo["last_run"] is None and demo["last_success"] is None
    assert demo["stale"] and not demo["failed"] and not demo["active"]
    # an unconnected connector is never "stale": there is nothing to be late
    assert not any(h["stale"] for h in health[:3])


def test_states_follow_the_google_settings(alpha):
    connect_google(
        alpha,
        gsc={"site_url": "sc-domain:alpha.example"},
        ga4={"property_id": "123", "status": "needs_reconnecting", "status_reason": "invalid_grant"},
        ads={"customer_id": "1234567890", "enabled": False},
    )
    with tenant_context(alpha.tenant):
        health = by_name(connector_health(tenant=alpha.tenant))
    assert set(health) == {"gsc", "ga4", "ads"}  # Google set up: no demo data any more
    assert health["gsc"]["state"] == "connected" and health["gsc"]["connected"]
    assert (
        health["ga4"]["state"] == "needs_reconnecting" and health["ga4"]["status_reason"] == "invalid_grant"
    )
    assert health["ads"]["state"] == "off" and not health["ads"]["connected"]


def test_settings_without_credentials_are_not_connected(alpha):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(
        connectors={"gsc": {"site_url": "sc-domain:a.example"}}
    )
    alpha.tenant.config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    with tenant_context(alpha.tenant):
        assert by_name(connector_health(tenant=alpha.tenant))["gsc"]["state"] == "not_connected"


def test_last_run_last_success_and_failure(alpha):
    connect_google(alpha, gsc={"site_url": "sc-domain:alpha.example"}, ga4={"property_id": "1"})
    with tenant_context(alpha.tenant):
        ok = add_run("gsc", "succeeded", ago=timedelta(days=3), rows=40)
        failed = add_run("gsc", "failed", ago=timedelta(hours=2), error="quota exceeded")
        ga4_ok = add_run("ga4", "succeeded", ago=timedelta(hours=5), rows=7)
        health = by_name(connector_health(tenant=alpha.tenant))
    gsc, ga4 = health["gsc"], health["ga4"]
    assert (gsc["last_run"], gsc["last_success"]) == (failed, ok)
    assert gsc["failed"] and gsc["stale"]
    assert (ga4["last_run"], ga4["last_success"]) == (ga4_ok, ga4_ok)
    assert not ga4["failed"] and not ga4["stale"]


@pytest.mark.parametrize(
    "ago, stale", [(STALE_AFTER - timedelta(minutes=1), False), (STALE_AFTER + timedelta(minutes=1), True)]
)
def test_stale_after_two_days_without_success(alpha, ago, stale):
    with tenant_context(alpha.tenant):
        add_run("demo", "succeeded", ago=ago, rows=1)
        add_run("demo", "failed", ago=timedelta(minutes=5))  # failures don't make it fresh
        assert by_name(connector_health(tenant=alpha.tenant))["demo"]["stale"] is stale


def test_health_costs_two_queries_however_many_runs(alpha, django_assert_num_queries):
    connect_google(
        alpha, gsc={"site_url": "sc-domain:a.example"}, ga4={"property_id": "1"}, ads={"customer_id": "1"}
    )
    with tenant_context(alpha.tenant):
        for connector in ("gsc", "ga4", "ads"):
            for days in range(1, 6):
                add_run(connector, "succeeded" if days % 2 else "failed", ago=timedelta(days=days))
        # two queries, each after django-tenants' SET search_path
        with django_assert_num_queries(2 * 2) as captured:
            health = connector_health(tenant=alpha.tenant)
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 2 and all("DISTINCT ON" in sql for sql in selects)
    assert all(h["last_run"] and h["last_success"] for h in health)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_each_connector_its_last_run_and_warnings(alpha):
    connect_google(
        alpha,
        gsc={"site_url": "sc-domain:alpha.example"},
        ga4={"property_id": "1", "status": "needs_reconnecting", "status_reason": "Token has been revoked"},
        ads={"customer_id": "1"},
    )
    with tenant_context(alpha.tenant):
        add_run("gsc", "failed", ago=timedelta(hours=3), error="Search Console said: quota exceeded")
        add_run("ads", "succeeded", ago=timedelta(days=3), rows=1234)
    html = client_for(alpha, user=alpha.owner).get(SETTINGS).content.decode()
    section = html[html.index('id="connectors"') : html.index("</section>", html.index('id="connectors"'))]
    assert (
        "Search Console said: quota exceeded" in section
        and "The last run of Search Console failed" in section
    )
    assert "Needs reconnecting" in section and "Token has been revoked" in section
    assert "1234 rows" in section and "No successful run of Google Ads since" in section
    assert section.count(">Run now<") == 2  # gsc and ads; not ga4, which needs reconnecting
    assert 'href="/dashboard/settings/google/"' in section


# --- Run now -------------------------------------------------------------------------------------


def test_owner_runs_demo_data_now(alpha, beta):
    response = client_for(alpha, user=alpha.owner).post(run_now_url("demo"))  # tasks run inline in tests
    assert response.status_code == 200
    assert "Fetching" in response.content.decode()
    with tenant_context(alpha.tenant):
        run = IngestionRun.objects.get()
        assert (run.connector, run.trigger, run.status) == ("demo", "manual", "succeeded") and run.rows > 0
    event = AuditEvent.objects.get(action="ingestion.run_now")
    assert (event.actor_label, event.tenant_id, event.data["connector"]) == (
        alpha.owner.email,
        alpha.tenant.pk,
        "demo",
    )
    with tenant_context(beta.tenant):
        assert not IngestionRun.objects.exists()


@pytest.mark.parametrize("status", ["queued", "running", "retrying"])
def test_a_second_run_waits_for_the_first(alpha, status):
    with tenant_context(alpha.tenant):
        add_run("demo", status, ago=timedelta(minutes=10))
    client = client_for(alpha, user=alpha.owner)
    assert "disabled" in client.get(SETTINGS).content.decode().split('data-connector="demo"')[1]
    response = client.post(run_now_url("demo"), HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert "Demo data is already fetching; wait for that run to finish." in response.content.decode()
    with tenant_context(alpha.tenant):
        assert IngestionRun.objects.count() == 1


def test_a_run_lost_long_ago_does_not_block_the_button(alpha):
    with tenant_context(alpha.tenant):
        add_run("demo", "queued", ago=RUN_NOW_ACTIVE_FOR + timedelta(minutes=1))
    assert client_for(alpha, user=alpha.owner).post(run_now_url("demo")).status_code == 200


def test_run_now_is_rate_limited_per_connector(alpha):
    client = client_for(alpha, user=alpha.owner)
    for _ in range(RUN_NOW_LIMIT):
        assert client.post(run_now_url("demo")).status_code == 200
    response = client.post(run_now_url("demo"))
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert f"run by hand {RUN_NOW_LIMIT} times this hour" in response.content.decode()
    with tenant_context(alpha.tenant):
        assert IngestionRun.objects.count() == RUN_NOW_LIMIT


def test_a_connector_that_is_not_connected_cannot_run(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.post(run_now_url("gsc"))
    assert response.status_code == 409 and "Search Console is not connected" in response.content.decode()
    assert client.post(run_now_url("bing")).status_code == 404
    with tenant_context(alpha.tenant):
        assert not IngestionRun.objects.exists()


def test_run_now_is_for_owners_by_post_with_csrf(alpha, beta):
    assert client_for(alpha, user=alpha.member).post(run_now_url("demo")).status_code == 403
    assert client_for(alpha, user=beta.owner).post(run_now_url("demo")).status_code == 404
    # an owner of beta who is only a member of alpha
    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    assert client_for(alpha, user=beta.owner).post(run_now_url("demo")).status_code == 403
    assert client_for(alpha, user=alpha.owner).get(run_now_url("demo")).status_code == 405
    assert (
        client_for(alpha, user=alpha.owner, enforce_csrf_checks=True).post(run_now_url("demo")).status_code
        == 403
    )
    assert client_for(alpha).post(run_now_url("demo")).status_code == 302  # to sign in
    for world in (alpha, beta):
        with tenant_context(world.tenant):
            assert not IngestionRun.objects.exists()


def test_staff_in_the_admin_are_refused_the_same_way(alpha):
    with tenant_context(alpha.tenant):
        add_run("demo", "running", ago=timedelta(minutes=1))
    staff = User.objects.create_user(email="staff@example.com", password="pw-for-tests", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_tenant", "change_tenant"]))
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/ingestion/"
    page = client.post(url, {"connector": "demo"}, follow=True).content.decode()
    assert "Demo data is already fetching" in page
    with tenant_context(alpha.tenant):
        assert IngestionRun.objects.count() == 1
