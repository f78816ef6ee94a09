"""The owner connects Google: consent URL, the public relay, the tenant callback (token exchange
recorded with `responses`), disconnecting, "needs reconnecting", the settings form, and staff's
service-account key."""

import json
import time
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import time_machine
from django.test import Client
from googleapiclient.http import HttpMockSequence

from marketing.connectors.google import STATUS_NEEDS_RECONNECTING
from marketing.connectors.gsc import SearchConsoleConnector
from marketing.services.google_connect import connector_mark_revoked, connector_needs_reconnecting
from tenants.models import AuditEvent, Membership, TenantConfig, User
from tests.conftest import client_for
from tests.marketing.connectors.conftest import TOKEN_URL

CONNECT = "/dashboard/settings/google/connect/"
CALLBACK = "/dashboard/settings/google/callback/"
SETTINGS = "/dashboard/settings/google/"
RELAY = "/oauth/google/callback/"
ALL_SCOPES = (
    "https://www.googleapis.com/auth/webmasters.readonly https://www.googleapis.com/auth/analytics.readonly "
    "https://www.googleapis.com/auth/adwords"
)
# Google's answer to an authorization_code grant with access_type=offline
EXCHANGED = {
    "access_token": "ya29.a0AfB_byD-fresh-access-token",
    "expires_in": 3599,
    "refresh_token": "1//0gNEW-refresh-token",
    "scope": ALL_SCOPES,
    "token_type": "Bearer",
}


def secrets_of(world) -> dict:
    return TenantConfig.objects.get(pk=world.tenant.pk).connector_secrets


def connectors_of(world) -> dict:
    return TenantConfig.objects.get(pk=world.tenant.pk).connectors


def start(client) -> dict:
    """The owner presses "Connect Google": where the browser goes, as query parameters."""
    response = client.post(CONNECT)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://accounts.google.com/o/oauth2/auth"
    return {key: values[0] for key, values in parse_qs(url.query).items()}


def test_without_a_google_client_the_page_says_so_and_offers_no_button(alpha, settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = ""
    client = client_for(alpha, user=alpha.owner)
    page = client.get(SETTINGS).content.decode()
    assert "Connecting Google isn’t available yet" in page and "GOOGLE_OAUTH_CLIENT_ID" in page
    assert CONNECT not in page
    response = client.post(CONNECT)
    assert response.status_code == 400
    assert "not set up" in response.content.decode()


def test_the_settings_page_links_from_business_settings(alpha, google_settings):
    page = client_for(alpha, user=alpha.owner).get("/dashboard/settings/").content.decode()
    assert 'href="/dashboard/settings/google/"' in page
    response = client_for(alpha, user=alpha.owner).get(SETTINGS)
    assert "Connect Google" in response.content.decode() and CONNECT in response.content.decode()
    # the browser follows the form's redirect to Google only if this page's CSP allows it
    form_action = next(d for d in response["Content-Security-Policy"].split(";") if "form-action" in d)
    assert form_action.split() == ["form-action", "'self'", "https://accounts.google.com"]
    other = client_for(alpha, user=alpha.owner).get("/dashboard/settings/")["Content-Security-Policy"]
    assert "accounts.google.com" not in other


@responses.activate
def test_owner_connects_google_end_to_end(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    params = start(owner)
    assert params["client_id"] == "1234-test.apps.googleusercontent.com"
    assert params["redirect_uri"] == "http://localhost:8000/oauth/google/callback/"
    assert params["scope"] == ALL_SCOPES
    assert params["access_type"] == "offline" and params["prompt"] == "consent"
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    state = params["state"]

    # Google sends the browser to the one registered URI, on the public host…
    relay = Client(HTTP_HOST="localhost").get(
        RELAY, {"state": state, "code": "4/0AeaYSHB-test-code", "scope": ALL_SCOPES}
    )
    assert relay.status_code == 302
    forwarded = urlsplit(relay["Location"])
    assert (forwarded.netloc, forwarded.path) == ("alpha.localhost:8000", CALLBACK)

    # …which forwards it to alpha's own host, where the code is exchanged.
    responses.post(TOKEN_URL, json=EXCHANGED)
    done = owner.get(f"{forwarded.path}?{forwarded.query}")
    assert done.status_code == 302 and done["Location"] == f"{SETTINGS}?done=connected"

    (exchange,) = responses.calls
    sent = parse_qs(exchange.request.body)
    assert sent["grant_type"] == ["authorization_code"] and sent["code"] == ["4/0AeaYSHB-test-code"]
    assert sent["redirect_uri"] == ["http://localhost:8000/oauth/google/callback/"]
    assert len(sent["code_verifier"][0]) >= 43  # PKCE: the verifier kept in the session
    stored = secrets_of(alpha)["google"]
    assert stored["type"] == "oauth" and stored["refresh_token"] == "1//0gNEW-refresh-token"
    assert stored["scopes"] == sorted(ALL_SCOPES.split())
    assert AuditEvent.objects.filter(tenant=alpha.tenant, action="config.connector_secrets_set").exists()

    page = owner.get(done["Location"]).content.decode()
    assert "Google connected" in page and f"by {alpha.owner.email}" in page
    assert "1//0gNEW-refresh-token" not in page
    # the state worked once: the same answer again is refused
    again = owner.get(f"{forwarded.path}?{forwarded.query}")
    assert again.status_code == 400 and len(responses.calls) == 1


@responses.activate
def test_a_state_minted_for_one_tenant_cannot_complete_on_another(alpha, beta, google_settings):
    # An owner of both businesses, so only the tenant check can stop it.
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.OWNER)
    on_alpha = client_for(alpha, user=alpha.owner)
    params = start(on_alpha)
    pending = on_alpha.session["google_oauth"]
    on_beta = client_for(beta, user=alpha.owner)
    session = on_beta.session
    session["google_oauth"] = pending  # even with alpha's state in beta's session
    session.save()

    response = on_beta.get(CALLBACK, {"state": params["state"], "code": "4/0AeaYSHB-test-code"})

    assert response.status_code == 400
    assert "another business" in response.content.decode()
    assert len(responses.calls) == 0  # no code exchanged
    assert "google" not in secrets_of(beta) and "google" not in secrets_of(alpha)
    # and the public relay can only ever send alpha's state to alpha
    relay = Client(HTTP_HOST="localhost").get(RELAY, {"state": params["state"], "code": "x"})
    assert urlsplit(relay["Location"]).netloc == "alpha.localhost:8000"


@responses.activate
def test_a_callback_this_browser_did_not_start_is_refused(alpha, google_settings):
    params = start(client_for(alpha, user=alpha.owner))
    other_browser = client_for(alpha, user=alpha.owner)
    response = other_browser.get(CALLBACK, {"state": params["state"], "code": "4/0AeaYSHB-test-code"})
    assert response.status_code == 400 and "not started from this browser" in response.content.decode()
    assert len(responses.calls) == 0 and "google" not in secrets_of(alpha)


def test_a_forged_or_expired_state_goes_nowhere(alpha, google_settings, settings):
    from django.core import signing

    forged = signing.dumps({"tenant": alpha.tenant.schema_name, "nonce": "x"}, salt="something else")
    relay = Client(HTTP_HOST="localhost").get(RELAY, {"state": forged, "code": "x"})
    assert relay.status_code == 400 and "Location" not in relay.headers

    # The state is signed between `before` and `after`: measured from those, not from "now", so a slow
    # machine can't turn the in-time case into an expired one.
    before = time.time()
    params = start(client_for(alpha, user=alpha.owner))
    after = time.time()
    with time_machine.travel(after + 601, tick=False):  # ten minutes and a second later
        expired = Client(HTTP_HOST="localhost").get(RELAY, {"state": params["state"], "code": "x"})
    assert expired.status_code == 400
    with time_machine.travel(before + 599, tick=False):
        in_time = Client(HTTP_HOST="localhost").get(RELAY, {"state": params["state"], "code": "x"})
    assert in_time.status_code == 302


@responses.activate
def test_owner_who_declines_on_googles_screen_changes_nothing(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    params = start(owner)
    response = owner.get(CALLBACK, {"state": params["state"], "error": "access_denied"})
    assert response.status_code == 400 and "access_denied" in response.content.decode()
    assert len(responses.calls) == 0 and "google" not in secrets_of(alpha)


@responses.activate
def test_a_code_google_refuses_is_a_clear_error(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    params = start(owner)
    responses.post(TOKEN_URL, json={"error": "invalid_grant", "error_description": "Bad Request"}, status=400)
    response = owner.get(CALLBACK, {"state": params["state"], "code": "4/0used-code"})
    assert response.status_code == 400 and "invalid_grant" in response.content.decode()
    assert "google" not in secrets_of(alpha)


@responses.activate
def test_fewer_scopes_granted_are_stored_and_shown(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    params = start(owner)
    responses.post(
        TOKEN_URL, json=EXCHANGED | {"scope": "https://www.googleapis.com/auth/webmasters.readonly"}
    )
    assert owner.get(CALLBACK, {"state": params["state"], "code": "4/0x"}).status_code == 302
    assert secrets_of(alpha)["google"]["scopes"] == ["https://www.googleapis.com/auth/webmasters.readonly"]
    page = owner.get(SETTINGS).content.decode()
    assert page.count("Access not granted") == 2  # GA4 and Ads


def test_members_cannot_connect_or_disconnect(alpha, google_settings):
    member = client_for(alpha, user=alpha.member)
    assert member.post(CONNECT).status_code == 403
    assert member.post("/dashboard/settings/google/disconnect/").status_code == 403
    assert member.get(CALLBACK, {"state": "x", "code": "y"}).status_code == 403


@responses.activate
def test_disconnect_revokes_at_google_and_forgets_the_token(connected, alpha):
    responses.post("https://oauth2.googleapis.com/revoke", body="")
    owner = client_for(alpha, user=alpha.owner)
    response = owner.post("/dashboard/settings/google/disconnect/")
    assert response.status_code == 302
    (revoke,) = responses.calls
    assert parse_qs(revoke.request.body) == {"token": ["1//0g-test-refresh-token"]}
    assert "google" not in secrets_of(alpha)
    page = owner.get(response["Location"]).content.decode()
    assert "Google disconnected" in page and "Not connected" in page


def test_revoked_credentials_show_needs_reconnecting_until_connected_again(connected, alpha):
    connector_mark_revoked(
        tenant=connected, connector="ga4", reason="invalid_grant: Token has been expired or revoked."
    )
    stored = connectors_of(alpha)["ga4"]
    assert stored["status"] == STATUS_NEEDS_RECONNECTING and stored["property_id"] == "properties/318472650"
    assert connector_needs_reconnecting(tenant=connected, connector="ga4")
    assert not connector_needs_reconnecting(tenant=connected, connector="gsc")
    owner = client_for(alpha, user=alpha.owner)
    page = owner.get(SETTINGS).content.decode()
    assert page.count("Needs reconnecting") == 1 and "Token has been expired or revoked" in page

    params = start(owner)
    with responses.RequestsMock() as mocked:
        mocked.post(TOKEN_URL, json=EXCHANGED)
        owner.get(CALLBACK, {"state": params["state"], "code": "4/0x"})
    assert "status" not in connectors_of(alpha)["ga4"]
    assert "Needs reconnecting" not in owner.get(SETTINGS).content.decode()


def test_owner_sets_which_properties_to_read(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    data = {
        "gsc_site_url": "sc-domain:alpha-movers.example",
        "ga4_property_id": "properties/318472650",
        "ads_customer_id": "123-456-7890",
        "ads_login_customer_id": "",
    }
    response = owner.post(SETTINGS, data)
    assert response.status_code == 200 and "Saved." in response.content.decode()
    assert connectors_of(alpha) == {
        "gsc": {"site_url": "sc-domain:alpha-movers.example"},
        "ga4": {"property_id": "318472650"},
        "ads": {"customer_id": "1234567890"},
    }
    assert AuditEvent.objects.filter(tenant=alpha.tenant, action="config.connectors_updated").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gsc_site_url", "alpha-movers.example"),
        ("gsc_site_url", "https://www.alpha-movers.example"),  # Search Console URL properties end in /
        ("ga4_property_id", "UA-12345-1"),
        ("ads_customer_id", "123-456-789"),  # 9 digits
        ("ads_customer_id", "123-456-78901"),  # 11
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(alpha, google_settings, field, value):
    response = client_for(alpha, user=alpha.owner).post(SETTINGS, {field: value})
    assert response.status_code == 400
    assert connectors_of(alpha) == {}


def test_ten_digit_ids_and_a_url_property_are_accepted(alpha, google_settings):
    data = {"gsc_site_url": "https://www.alpha-movers.example/", "ads_customer_id": "1234567890"}
    assert client_for(alpha, user=alpha.owner).post(SETTINGS, data).status_code == 200
    assert connectors_of(alpha)["gsc"] == {"site_url": "https://www.alpha-movers.example/"}


# --- staff: a service-account key from the admin ---------------------------------------------------


@pytest.fixture(scope="module")
def service_account_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "alpha-movers-analytics",
        "private_key_id": "3f1c0e8a9b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e",
        "private_key": pem,
        "client_email": "inkwell-reader@alpha-movers-analytics.iam.gserviceaccount.com",
        "client_id": "104729384756102938475",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


@pytest.fixture
def staff_client(db):
    staff = User.objects.create_superuser("staff@example.com", "pw-for-tests")
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    return client


def test_staff_pastes_a_service_account_key_and_never_sees_it_again(
    alpha, staff_client, service_account_key, google_settings
):
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/google-key/"
    change_page = staff_client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/").content.decode()
    assert url in change_page
    response = staff_client.post(url, {"connector": "google", "key_json": json.dumps(service_account_key)})
    assert response.status_code == 302
    stored = secrets_of(alpha)["google"]
    assert stored["type"] == "service_account" and stored["info"] == service_account_key
    for page in (staff_client.get(url), staff_client.get(f"/admin/tenants/tenant/{alpha.tenant.pk}/change/")):
        html = page.content.decode()
        assert "PRIVATE KEY" not in html and service_account_key["private_key_id"] not in html
    owner_page = client_for(alpha, user=alpha.owner).get(SETTINGS).content.decode()
    assert "service-account key" in owner_page

    # and the connector signs its own token request with that key (a JWT bearer grant)
    alpha.tenant.config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    alpha.tenant.config.connectors = {"gsc": {"site_url": "sc-domain:alpha-movers.example"}}
    token = {"access_token": "ya29.c-service-account", "expires_in": 3599, "token_type": "Bearer"}
    http = HttpMockSequence([({"status": "200"}, json.dumps(token)), ({"status": "200"}, json.dumps({}))])
    assert (
        list(SearchConsoleConnector(http=http).fetch(alpha.tenant, date(2026, 11, 1), date(2026, 11, 2)))
        == []
    )
    grant = parse_qs(http.request_sequence[0][2].decode())
    assert grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


@pytest.mark.parametrize(
    "key_json",
    [
        "not json",
        json.dumps({"type": "authorized_user", "refresh_token": "x"}),
        json.dumps({"type": "service_account"}),
    ],
)
def test_staff_pasting_something_else_stores_nothing(alpha, staff_client, key_json):
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/google-key/"
    response = staff_client.post(url, {"connector": "google", "key_json": key_json})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert secrets_of(alpha) == {}


def test_staff_without_change_permission_cannot_store_a_key(alpha, service_account_key):
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer@example.com", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_tenant"))
    client = Client(HTTP_HOST="localhost")
    client.force_login(viewer)
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/google-key/"
    response = client.post(url, {"connector": "google", "key_json": json.dumps(service_account_key)})
    assert response.status_code == 403 and secrets_of(alpha) == {}


@responses.activate
def test_a_grant_without_a_refresh_token_is_not_stored(alpha, google_settings):
    owner = client_for(alpha, user=alpha.owner)
    params = start(owner)
    responses.post(TOKEN_URL, json={key: value for key, value in EXCHANGED.items() if key != "refresh_token"})
    response = owner.get(CALLBACK, {"state": params["state"], "code": "4/0x"})
    assert response.status_code == 400 and "no refresh token" in response.content.decode()
    assert "google" not in secrets_of(alpha)


@responses.activate
def test_disconnect_forgets_the_token_even_when_google_cannot_be_reached(connected, alpha):
    from requests.exceptions import ConnectionError

    responses.post("https://oauth2.googleapis.com/revoke", body=ConnectionError("no route to host"))
    response = client_for(alpha, user=alpha.owner).post("/dashboard/settings/google/disconnect/")
    assert response.status_code == 302 and "google" not in secrets_of(alpha)


def test_a_suspended_tenants_state_is_not_relayed(alpha, google_settings):
    from tenants.models import Tenant

    params = start(client_for(alpha, user=alpha.owner))
    Tenant.objects.filter(pk=alpha.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    relay = Client(HTTP_HOST="localhost").get(RELAY, {"state": params["state"], "code": "x"})
    assert relay.status_code == 400
