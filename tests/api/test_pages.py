"""/api/v1/pages/: members and keys write drafts through the page services; owners publish."""

import pytest
from django_tenants.utils import tenant_context

from marketing.models import Page
from tests.api.conftest import key_client
from tests.conftest import client_for


@pytest.fixture
def api(alpha, alpha_key):
    return key_client(alpha, alpha_key)


def test_a_draft_is_written_by_a_key_and_published_by_the_owner(alpha, api):
    response = api.post(
        "/api/v1/pages/",
        {"slug": "moving", "title": "Moving", "body": "We move."},
        content_type="application/json",
    )
    assert response.status_code == 201
    page = response.json()
    assert (page["path"], page["is_published"]) == ("/moving/", False)
    assert client_for(alpha).get("/moving/").status_code == 404  # a draft: visitors see nothing
    response = api.patch(
        f"/api/v1/pages/{page['id']}/", {"title": "Moving in Toronto"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["title"] == "Moving in Toronto"
    with tenant_context(alpha.tenant):
        revision = Page.objects.get(pk=page["id"]).revisions.order_by("-number").first()
        assert revision.author_label == "api-key:Alpha's CRM"
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post(f"/api/v1/pages/{page['id']}/publish/")
    assert response.status_code == 200 and response.json()["is_published"] is True
    assert "Moving in Toronto" in client_for(alpha).get("/moving/").content.decode()
    assert [p["slug"] for p in api.get("/api/v1/pages/?published=true").json()["results"]] == ["moving"]
    assert api.get("/api/v1/pages/?published=false").json()["count"] == 0
    assert owner.post(f"/api/v1/pages/{page['id']}/unpublish/").status_code == 200
    response = owner.post(f"/api/v1/pages/{page['id']}/unpublish/")
    assert response.status_code == 409 and response.json()["code"] == "page_not_published"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"slug": "api", "title": "x"}, "slug", "page_slug_reserved"),
        ({"slug": "Not a slug!", "title": "x"}, "slug", "invalid"),
        ({"slug": "ok"}, "title", "required"),
        ({"slug": "ok", "title": "x" * 201}, "title", "max_length"),
        ({"slug": "ok", "title": "x", "published_revision": 1}, "published_revision", "field_not_editable"),
    ],
)
def test_invalid_pages_are_refused_with_field_errors(alpha, api, body, field, code):
    response = api.post("/api/v1/pages/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    with tenant_context(alpha.tenant):
        assert not Page.objects.exists()


def test_a_published_pages_address_stays(alpha, api):
    owner = client_for(alpha, user=alpha.owner)
    pk = api.post(
        "/api/v1/pages/", {"slug": "moving", "title": "Moving"}, content_type="application/json"
    ).json()["id"]
    owner.post(f"/api/v1/pages/{pk}/publish/")
    response = api.patch(f"/api/v1/pages/{pk}/", {"slug": "relocation"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"]["slug"][0]["code"] == "page_slug_locked"


def test_taken_address_is_a_field_error(api):
    api.post("/api/v1/pages/", {"slug": "moving", "title": "Moving"}, content_type="application/json")
    response = api.post(
        "/api/v1/pages/", {"slug": "moving", "title": "Again"}, content_type="application/json"
    )
    assert response.status_code == 400 and "slug" in response.json()["fields"]


def test_search(alpha, api):
    for slug in ("moving", "storage"):
        api.post("/api/v1/pages/", {"slug": slug, "title": slug.title()}, content_type="application/json")
    assert [p["slug"] for p in api.get("/api/v1/pages/?q=stor").json()["results"]] == ["storage"]
    response = api.get("/api/v1/pages/?q=%00")
    assert response.status_code == 400 and "q" in response.json()["fields"]
