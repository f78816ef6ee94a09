"""A switched-off area answers 404 for its pages and its API; settings stay reachable to switch it back."""

from urllib.parse import urlsplit

import pytest

from tenants.features import feature_for_path
from tenants.models import TenantConfig
from tenants.services.signin import signin_link_issue
from tests.conftest import client_for, settings_form


def switch(world, **toggles):
    TenantConfig.objects.filter(pk=world.tenant.pk).update(**toggles)


@pytest.mark.parametrize("path", ["/dashboard/", "/api/v1/dashboard/"])
def test_dashboard_on_is_open_to_members(alpha, path):
    assert client_for(alpha, user=alpha.member).get(path).status_code == 200


def test_dashboard_api_lists_the_areas(alpha):
    switch(alpha, feature_chat=False)
    areas = client_for(alpha, user=alpha.member).get("/api/v1/dashboard/").json()["areas"]
    assert areas["chat"] is False and areas["dashboard"] is True


def test_dashboard_off_is_not_found_for_its_pages_and_api(alpha):
    switch(alpha, feature_dashboard=False)
    client = client_for(alpha, user=alpha.member)
    assert client.get("/dashboard/").status_code == 404
    api = client.get("/api/v1/dashboard/")
    assert api.status_code == 404
    assert api.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_dashboard_off_leaves_other_areas_and_the_site_alone(alpha):
    switch(alpha, feature_dashboard=False)
    client = client_for(alpha, user=alpha.member)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_another_area_off_does_not_close_the_dashboard(alpha):
    switch(alpha, feature_chat=False, feature_contracts=False)
    assert client_for(alpha, user=alpha.member).get("/dashboard/").status_code == 200


def test_owner_switches_the_dashboard_back_on_from_settings(alpha):
    switch(alpha, feature_dashboard=False)
    client = client_for(alpha, user=alpha.owner)
    page = client.get("/dashboard/settings/")
    assert page.status_code == 200
    assert 'href="/dashboard/"' not in page.content.decode()  # no link into the closed area
    response = client.post("/dashboard/settings/", settings_form(alpha, feature_dashboard="on"))
    assert response.status_code == 200
    assert client.get("/dashboard/").status_code == 200


def test_settings_stay_owner_only_while_the_dashboard_is_off(alpha):
    switch(alpha, feature_dashboard=False)
    assert client_for(alpha, user=alpha.member).get("/dashboard/settings/").status_code == 403


@pytest.mark.parametrize(
    "path, toggle",
    [
        ("/dashboard/", "feature_dashboard"),
        ("/dashboard/anything/deeper/", "feature_dashboard"),
        ("/api/v1/dashboard/", "feature_dashboard"),
        ("/contracts/", "feature_contracts"),
        ("/api/v1/chat/messages/", "feature_chat"),
        ("/campaigns/", "feature_campaigns"),
        ("/dashboard/settings/", None),
        ("/api/v1/me/", None),
        ("/api/v1/config/", None),
        ("/sign-in/", None),
        ("/", None),
        ("/dashboardx/", None),
        ("/api/v2/dashboard/", None),
    ],
)
def test_the_rule_maps_urls_to_toggles(path, toggle):
    assert feature_for_path(path) == toggle


@pytest.mark.parametrize("dashboard, landing", [(True, "/dashboard/"), (False, "/")])
def test_signing_in_lands_on_the_dashboard_only_when_it_is_on(alpha, dashboard, landing):
    switch(alpha, feature_dashboard=dashboard)
    url = signin_link_issue(tenant=alpha.tenant, user=alpha.member)
    response = client_for(alpha).post(urlsplit(url).path)
    assert response.status_code == 302 and response["Location"] == landing
