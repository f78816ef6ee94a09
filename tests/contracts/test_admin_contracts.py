"""Staff list, create and send a tenant's contracts from the Tenant admin, inside its schema."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_tenants.utils import tenant_context

from contracts.models import Contract
from tenants.models import OutboundMessage, User
from tests.contracts.test_owner_pages import FORM


def staff(*, superuser=True):
    if superuser:
        user = User.objects.create_superuser("staff@example.com", "pw-for-tests")
    else:
        user = User.objects.create_user(email="viewer@example.com", password="pw-for-tests", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_tenant"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return user, client


def url(world):
    return f"/admin/tenants/tenant/{world.tenant.pk}/contracts/"


def test_staff_create_and_send_a_contract_audited_as_staff(alpha, beta, django_capture_on_commit_callbacks):
    user, client = staff()
    assert url(alpha) in client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url(alpha), FORM | {"send_now": "on"})
    # In production the send commits inside the view's tenant_context; the test's own transaction
    # holds the commit back, so run what it queued in that same schema.
    with tenant_context(alpha.tenant):
        for callback in queued:
            callback()
    assert response.status_code == 302 and response["Location"] == url(alpha)
    with tenant_context(alpha.tenant):
        contract = Contract.objects.get()
        event = contract.events.get(kind="created")
        assert contract.status == "sent" and (event.actor_type, event.actor_id) == ("staff", user.pk)
    with tenant_context(beta.tenant):
        assert not Contract.objects.exists()
    assert OutboundMessage.objects.filter(channel="sms", tenant=alpha.tenant).count() == 1
    assert contract.reference in client.get(url(alpha)).content.decode()


def test_an_invalid_contract_is_a_form_error_in_the_admin(alpha):
    _, client = staff()
    response = client.post(url(alpha), FORM | {"customer_phone": "555"})
    assert response.status_code == 400 and "customer_phone" in response.context["form"].errors
    with tenant_context(alpha.tenant):
        assert not Contract.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_view_only_staff_see_but_cannot_create(alpha, method):
    _, client = staff(superuser=False)
    response = getattr(client, method)(url(alpha), FORM)
    if method == "get":
        assert response.status_code == 200 and "New contract" not in response.content.decode()
    else:
        assert response.status_code == 403
    with tenant_context(alpha.tenant):
        assert not Contract.objects.exists()
