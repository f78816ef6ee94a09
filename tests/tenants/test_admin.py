import pytest
from django.core.management import call_command
from django.test import Client

from tenants.models import OutboundMessage, Tenant, TenantStatusEvent, User


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_superuser("staff@example.com", "pw-for-tests")
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    return client


def test_staff_sees_tenants_and_the_outbox(worlds, staff_client):
    OutboundMessage.objects.create(
        channel="sms", to="+14165550101", body="hi", backend="outbox", status="stored"
    )
    listing = staff_client.get("/admin/tenants/tenant/").content.decode()
    assert "Alpha Movers" in listing and "Beta Shipping" in listing
    assert "http://alpha.localhost:8000/" in listing
    page = staff_client.get(f"/admin/tenants/tenant/{worlds['alpha'].tenant.pk}/change/").content.decode()
    assert "owner@alpha.example" in page and "alpha.localhost" in page and "#1d4ed8" in page
    assert "+14165550101" in staff_client.get("/admin/tenants/outboundmessage/").content.decode()


def test_staff_provisions_a_tenant_from_the_admin(worlds, staff_client):
    response = staff_client.post(
        "/admin/tenants/tenant/provision/",
        {"name": "Epsilon Auto", "subdomain": "epsilon", "owner_email": "e@epsilon.example", "plan": "full"},
    )
    tenant = Tenant.objects.get(subdomain="epsilon")
    assert (
        response.status_code == 302 and response["Location"] == f"/admin/tenants/tenant/{tenant.pk}/change/"
    )
    assert tenant.status == "active" and tenant.plan == "full"


def test_admin_provision_form_shows_field_errors(worlds, staff_client):
    response = staff_client.post(
        "/admin/tenants/tenant/provision/", {"name": "Bad", "subdomain": "www", "owner_email": "e@x.example"}
    )
    assert response.status_code == 200 and "reserved" in response.content.decode()
    assert not Tenant.objects.filter(name="Bad").exists()


def test_staff_suspends_and_reactivates_with_a_history(worlds, staff_client):
    alpha = worlds["alpha"].tenant
    changelist = "/admin/tenants/tenant/"
    staff_client.post(changelist, {"action": "suspend", "_selected_action": [alpha.pk]})
    assert Tenant.objects.get(pk=alpha.pk).status == "suspended"
    assert Client(HTTP_HOST="alpha.localhost").get("/").status_code == 403
    staff_client.post(changelist, {"action": "reactivate", "_selected_action": [alpha.pk]})
    assert Tenant.objects.get(pk=alpha.pk).status == "active"
    events = list(
        TenantStatusEvent.objects.filter(tenant=alpha)
        .order_by("created")
        .values_list("from_status", "to_status", "actor__email")
    )
    assert events == [
        ("provisioning", "active", None),  # provisioned by the test setup, with no one acting
        ("active", "suspended", "staff@example.com"),
        ("suspended", "active", "staff@example.com"),
    ]


def test_reactivating_an_active_tenant_is_refused_with_a_message(worlds, staff_client):
    alpha = worlds["alpha"].tenant
    response = staff_client.post(
        "/admin/tenants/tenant/", {"action": "reactivate", "_selected_action": [alpha.pk]}, follow=True
    )
    assert "cannot become active" in response.content.decode()
    assert not TenantStatusEvent.objects.filter(tenant=alpha).exclude(reason="provisioned").exists()


def test_staff_inspects_a_tenants_own_data(worlds, staff_client):
    from django.db import connection

    with connection.cursor() as cursor:  # a table, with rows, that only alpha's schema has
        cursor.execute(
            'CREATE TABLE "t_alpha"."probe_jobs" (id int); INSERT INTO "t_alpha"."probe_jobs" VALUES (1), (2)'
        )
    alpha_page = staff_client.get(f"/admin/tenants/tenant/{worlds['alpha'].tenant.pk}/data/")
    beta_page = staff_client.get(f"/admin/tenants/tenant/{worlds['beta'].tenant.pk}/data/")
    assert alpha_page.status_code == beta_page.status_code == 200
    assert {"name": "probe_jobs", "count": 2} in alpha_page.context["tables"]
    assert "probe_jobs" not in beta_page.content.decode()


def test_staff_without_view_permission_cannot_inspect_tenant_data(worlds):
    clerk = User.objects.create_user("clerk@example.com", "pw", is_staff=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(clerk)
    assert client.get(f"/admin/tenants/tenant/{worlds['alpha'].tenant.pk}/data/").status_code == 403


def test_non_staff_cannot_reach_the_admin(worlds):
    client = Client(HTTP_HOST="localhost")
    client.force_login(worlds["alpha"].owner)
    response = client.get("/admin/tenants/tenant/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_demo_load_is_idempotent(worlds, capsys, monkeypatch, tmp_path):
    from inkwell import embedded

    monkeypatch.setattr(embedded, "STATE_DIR", tmp_path)  # keep the checkout's own .inkwell/ untouched
    call_command("demo_load")
    call_command("demo_load")
    out = capsys.readouterr().out
    assert Tenant.objects.filter(subdomain="scilla").count() == 1
    scilla = Tenant.objects.get(subdomain="scilla")
    assert (scilla.config.currency, scilla.config.timezone) == ("CAD", "America/Toronto")
    assert User.objects.filter(email="staff@inkwell.localhost", is_staff=True).count() == 1
    assert out.count("http://scilla.localhost:8000/sign-in/link/") == 2


def test_status_machine_refuses_illegal_moves(worlds):
    from inkwell.errors import Conflict
    from tenants.selectors import spare_tenants
    from tenants.services.status import tenant_status_set

    alpha = worlds["alpha"].tenant
    tenant_status_set(tenant=alpha, status="canceled", reason="closed the business")
    with pytest.raises(Conflict, match="cannot become active"):
        tenant_status_set(tenant=alpha, status="active")
    with pytest.raises(Conflict):
        tenant_status_set(tenant=spare_tenants().first(), status="active")
    assert Client(HTTP_HOST="alpha.localhost").get("/").status_code == 404
