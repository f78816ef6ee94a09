"""Staff see a tenant's ingestion runs (and connectors needing reconnection) in the admin, and queue a
re-fetch; viewers can look but not queue."""

from datetime import date

from django.contrib.auth.models import Permission
from django.test import Client
from django_tenants.utils import tenant_context

from marketing.models import IngestionRun
from tenants.models import TenantConfig, User


def _client(user):
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def url(world):
    return f"/admin/tenants/tenant/{world.tenant.pk}/ingestion/"


def test_staff_see_runs_and_queue_a_refetch(alpha, beta):
    staff = _client(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(
        connectors={
            "gsc": {
                "status": "needs_reconnecting",
                "status_reason": "invalid_grant",
                "status_at": "2026-11-20",
            }
        }
    )
    with tenant_context(alpha.tenant):
        IngestionRun.objects.create(
            connector="gsc", window_start=date(2026, 11, 1), window_end=date(2026, 11, 5), status="failed",
            error="invalid_grant: Token has been expired or revoked.",
        )  # fmt: skip
    assert url(alpha) in staff.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    page = staff.get(url(alpha)).content.decode()
    assert "Token has been expired or revoked." in page and "needs reconnecting since 2026-11-20" in page
    response = staff.post(url(beta), {"connector": "demo"})  # tasks run inline in tests
    assert response.status_code == 302 and response["Location"] == url(beta)
    with tenant_context(beta.tenant):
        run = IngestionRun.objects.get()
        assert (run.connector, run.trigger, run.status) == ("demo", "manual", "succeeded") and run.rows > 0
    with tenant_context(alpha.tenant):
        assert IngestionRun.objects.count() == 1


def test_viewers_cannot_queue_and_unknown_connectors_are_refused(alpha):
    viewer = User.objects.create_user(email="viewer@example.com", password="pw-for-tests", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    assert _client(viewer).get(url(alpha)).status_code == 200
    assert _client(viewer).post(url(alpha), {"connector": "demo"}).status_code == 403
    staff = _client(User.objects.create_superuser("staff@example.com", "pw-for-tests"))
    response = staff.post(url(alpha), {"connector": "bing"}, follow=True)
    assert "No connector named &#x27;bing&#x27;" in response.content.decode()
    with tenant_context(alpha.tenant):
        assert not IngestionRun.objects.exists()
