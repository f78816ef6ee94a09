"""Staff edit, publish, unpublish and restore a tenant's pages from the Tenant admin, inside its
schema, through the same services as the owner (revisions name the staff member)."""

from django.test import Client
from django_tenants.utils import tenant_context

from marketing.models import Page
from tests.contracts.test_admin_contracts import staff


def url(world, page=None):
    return f"/admin/tenants/tenant/{world.tenant.pk}/pages/" + (f"{page.pk}/" if page else "")


FORM = {"title": "Moving", "slug": "moving", "body": "Staff words.", "show_quote_form": "on"}


def test_staff_write_and_publish_a_page_and_visitors_see_it(alpha, beta, django_capture_on_commit_callbacks):
    user, client = staff()
    assert url(alpha) in client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    response = client.post(url(alpha), FORM)
    with tenant_context(alpha.tenant):
        page = Page.objects.get()
    assert response.status_code == 302 and response["Location"] == url(alpha, page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(alpha, page), FORM | {"body": "Published by staff.", "action": "publish"})
    assert response.status_code == 302
    with tenant_context(alpha.tenant):
        revision = Page.objects.get().revisions.first()
        assert (revision.kind, revision.author_id) == ("published", user.pk)
    with tenant_context(beta.tenant):
        assert not Page.objects.exists()
    assert "Published by staff." in Client(HTTP_HOST=alpha.host).get("/moving/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(alpha, page), {"action": "unpublish"})
    assert Client(HTTP_HOST=alpha.host).get("/moving/").status_code == 404


def test_bad_page_fields_are_form_errors_and_nothing_is_saved(alpha):
    _, client = staff()
    response = client.post(url(alpha), FORM | {"slug": "dashboard"})
    assert response.status_code == 400 and "slug" in response.context["form"].errors
    with tenant_context(alpha.tenant):
        assert not Page.objects.exists()


def test_staff_who_may_only_view_cannot_change_pages(alpha):
    _, client = staff(superuser=False)
    assert client.get(url(alpha)).status_code == 200
    assert client.post(url(alpha), FORM).status_code == 403
    with tenant_context(alpha.tenant):
        assert not Page.objects.exists()
