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


def test_demo_load_is_idempotent(worlds, capsys, monkeypatch, tmp_path, settings):
    from inkwell import embedded

    monkeypatch.setattr(embedded, "STATE_DIR", tmp_path)  # keep the checkout's own .inkwell/ untouched
    call_command("demo_load")
    settings.STAFF_2FA = "required"  # the printed staff account then needs an authenticator
    call_command("demo_load")
    out = capsys.readouterr().out
    assert out.count("manage.py staff_totp_enrol staff@inkwell.localhost") == 1
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


# --- permissions -----------------------------------------------------------------------------------


def staff_with(*codenames):
    """A staff member holding only the named permissions of the tenants app, signed in to the admin."""
    from django.contrib.auth.models import Permission

    user = User.objects.create_user(f"{'.'.join(codenames)}@example.com", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tenants", codename__in=codenames)
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def _alpha_status(worlds):
    return Tenant.objects.get(pk=worlds["alpha"].tenant.pk).status


def _boss_generation(worlds):
    return User.objects.get(email="boss@example.com").session_generation


def _welcomes(worlds):
    return len(worlds["welcomed"])


@pytest.mark.parametrize(
    "model, action, observe, before, after",
    [
        ("tenant", "suspend", _alpha_status, "active", "suspended"),
        ("tenant", "reactivate", _alpha_status, "suspended", "active"),
        ("user", "sign_out_everywhere", _boss_generation, 0, 1),
        ("tenant", "resend_welcome", _welcomes, 0, 1),
    ],
)
@pytest.mark.parametrize("permission, allowed", [("view", False), ("change", True)])
def test_admin_actions_need_change_permission(
    worlds, monkeypatch, model, action, observe, before, after, permission, allowed
):
    from tenants.services.status import tenant_suspend

    alpha = worlds["alpha"].tenant
    worlds["welcomed"] = []
    monkeypatch.setattr(
        "tenants.admin.signin_welcome_send", lambda **kwargs: worlds["welcomed"].append(kwargs)
    )
    if action == "reactivate":
        tenant_suspend(tenant=alpha)
    target = User.objects.create_superuser("boss@example.com", "pw-for-tests") if model == "user" else alpha
    client = staff_with(f"view_{model}", f"{permission}_{model}")
    assert observe(worlds) == before
    client.post(f"/admin/tenants/{model}/", {"action": action, "_selected_action": [target.pk]})
    assert observe(worlds) == (after if allowed else before)


def test_provisioning_from_the_admin_needs_add_permission(worlds, monkeypatch):
    topped_up = []
    monkeypatch.setattr("tenants.admin.spare_schemas_top_up", lambda: topped_up.append(1) or 0)
    form = {"name": "Zeta", "subdomain": "zeta", "owner_email": "z@zeta.example"}

    viewer = staff_with("view_tenant")
    assert viewer.get("/admin/tenants/tenant/provision/").status_code == 403
    assert viewer.post("/admin/tenants/tenant/provision/", form).status_code == 403
    assert viewer.post("/admin/tenants/tenant/top-up-spares/").status_code == 403
    assert "Provision a tenant" not in viewer.get("/admin/tenants/tenant/").content.decode()
    assert not Tenant.objects.filter(subdomain="zeta").exists() and not topped_up

    adder = staff_with("view_tenant", "add_tenant")
    assert adder.get("/admin/tenants/tenant/provision/").status_code == 200
    assert adder.get("/admin/tenants/tenant/top-up-spares/").status_code == 405
    assert adder.post("/admin/tenants/tenant/top-up-spares/").status_code == 302 and topped_up == [1]


def test_view_permission_is_enough_to_inspect_tenant_data(worlds):
    viewer = staff_with("view_tenant")
    assert viewer.get(f"/admin/tenants/tenant/{worlds['alpha'].tenant.pk}/data/").status_code == 200


# --- the back office -------------------------------------------------------------------------------


def test_the_back_office_carries_its_name(worlds, staff_client):
    for page in ("/admin/", "/admin/tenants/tenant/"):
        html = staff_client.get(page).content.decode()
        assert "<title>" in html and "| Inkwell back office</title>" in html
        assert '<a href="/admin/">Inkwell back office</a>' in html
    assert "Inkwell back office" in Client(HTTP_HOST="localhost").get("/admin/login/").content.decode()


def test_spare_schemas_are_hidden_from_the_tenant_list_unless_asked_for(worlds, staff_client):
    from tenants.selectors import spare_tenants

    spare = spare_tenants().get()
    being_built = Tenant.objects.create(schema_name="spare_being_built", status=Tenant.Status.PROVISIONING)
    canceled = Tenant.objects.create(
        schema_name="t_gone", name="Gone Movers", subdomain="gone", status=Tenant.Status.CANCELED
    )

    def listed(query=""):
        return {t.pk for t in staff_client.get(f"/admin/tenants/tenant/{query}").context["cl"].result_list}

    alpha, beta = worlds["alpha"].tenant.pk, worlds["beta"].tenant.pk
    assert listed() == {alpha, beta, canceled.pk}
    assert listed("?spares=shown") == {alpha, beta, canceled.pk, spare.pk, being_built.pk}
    assert listed("?spares=shown&status=spare") == {spare.pk}


def test_a_tenant_provisioned_from_the_admin_is_created_then_with_its_event(worlds, staff_client):
    from datetime import timedelta

    from django.utils import timezone

    from tenants.selectors import spare_tenants

    spare = spare_tenants().get()
    Tenant.objects.filter(pk=spare.pk).update(created=timezone.now() - timedelta(days=30))
    staff_client.post(
        "/admin/tenants/tenant/provision/",
        {"name": "Eta", "subdomain": "eta", "owner_email": "e@eta.example"},
    )
    tenant = Tenant.objects.get(subdomain="eta")
    assert tenant.pk == spare.pk  # the month-old spare was claimed...
    assert tenant.created == tenant.activated_at  # ...and the tenant dates from its provisioning
    event = TenantStatusEvent.objects.get(tenant=tenant)
    assert (event.from_status, event.to_status, event.actor.email) == (
        "provisioning",
        "active",
        "staff@example.com",
    )


def test_outbound_messages_cannot_be_changed_or_deleted(worlds, staff_client):
    message = OutboundMessage.objects.create(
        channel="email", to="a@b.example", subject="Hi", body="hi", backend="outbox", status="stored"
    )
    url = f"/admin/tenants/outboundmessage/{message.pk}/"
    page = staff_client.get(f"{url}change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert staff_client.post(f"{url}change/", {"to": "x@y.example", "body": "changed"}).status_code == 403
    assert staff_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    staff_client.post(
        "/admin/tenants/outboundmessage/",
        {"action": "delete_selected", "_selected_action": [message.pk], "post": "yes"},
    )
    assert OutboundMessage.objects.filter(pk=message.pk, to="a@b.example", body="hi").exists()


def test_tenant_data_page_has_its_breadcrumb(worlds, staff_client):
    import re

    pk = worlds["alpha"].tenant.pk
    html = staff_client.get(f"/admin/tenants/tenant/{pk}/data/").content.decode()
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs)
    assert links == [
        ("/admin/", "Home"),
        ("/admin/tenants/", "Tenants and access"),
        ("/admin/tenants/tenant/", "Tenants"),
        (f"/admin/tenants/tenant/{pk}/change/", "Alpha Movers"),
    ]
    assert crumbs.rstrip().endswith("Data")


def test_resending_the_welcome_link_reaches_every_active_owner_of_live_tenants(
    worlds, staff_client, monkeypatch
):
    from tenants.models import Membership
    from tenants.services.status import tenant_suspend

    sent = []
    monkeypatch.setattr(
        "tenants.admin.signin_welcome_send", lambda *, tenant, user: sent.append((tenant.pk, user.email))
    )
    alpha, beta = worlds["alpha"], worlds["beta"]
    Membership.objects.filter(user=alpha.member, tenant=alpha.tenant).update(role="owner")
    tenant_suspend(tenant=beta.tenant)
    response = staff_client.post(
        "/admin/tenants/tenant/",
        {"action": "resend_welcome", "_selected_action": [alpha.tenant.pk, beta.tenant.pk]},
        follow=True,
    )
    assert sorted(sent) == [
        (alpha.tenant.pk, "member@alpha.example"),
        (alpha.tenant.pk, "owner@alpha.example"),
    ]
    assert "Beta Shipping has no active owner to welcome" in response.content.decode()


def test_staff_pick_a_tenants_timezone_from_a_list(worlds, staff_client):
    html = staff_client.get(f"/admin/tenants/tenant/{worlds['alpha'].tenant.pk}/change/").content.decode()
    assert '<select name="config-0-timezone"' in html
    assert '<option value="America/Toronto" selected>America/Toronto</option>' in html
    assert '<option value="America/St_Johns">America/St Johns</option>' in html


def test_staff_manage_authenticators_and_login_lockouts_in_the_admin(worlds, staff_client):
    from tenants.services.staff import staff_totp_enrol

    colleague = User.objects.create_user("colleague@example.com", is_staff=True)
    device = staff_totp_enrol(user=colleague, actor=None)
    for page in (
        "/admin/otp_totp/totpdevice/",
        "/admin/otp_totp/totpdevice/add/",
        "/admin/axes/accessattempt/",
    ):
        assert staff_client.get(page).status_code == 200
    page = staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page  # an enrolled authenticator's secret is never shown again
    assert staff_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
