"""A tenant connected to Google the way the owner's "Connect Google" leaves it, and the token
endpoint's recorded answers."""

import json

import pytest

TOKEN_URL = "https://oauth2.googleapis.com/token"
# What Google's token endpoint answers to a refresh_token grant, and to a revoked refresh token.
TOKEN_OK = {
    "access_token": "ya29.a0AfB_byC-test-access-token",
    "expires_in": 3599,
    # a token granted all three scopes: Google lists them space-separated
    "scope": "https://www.googleapis.com/auth/webmasters.readonly https://www.googleapis.com/auth/analytics.readonly https://www.googleapis.com/auth/adwords",
    "token_type": "Bearer",
}
TOKEN_REVOKED = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def token_ok_body() -> str:
    return json.dumps(TOKEN_OK)


@pytest.fixture
def google_settings(settings):
    settings.GOOGLE_OAUTH_CLIENT_ID = "1234-test.apps.googleusercontent.com"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = "GOCSPX-test-secret"
    settings.GOOGLE_ADS_DEVELOPER_TOKEN = "test-developer-token"
    return settings


@pytest.fixture
def connected(alpha, google_settings):
    """Alpha with all three Google connectors set up and an OAuth refresh token stored (encrypted)."""
    from tenants.models import TenantConfig
    from tenants.services.config import tenant_connector_secrets_set

    config = alpha.tenant.config
    config.connectors = {
        "gsc": {"site_url": "sc-domain:alpha-movers.example"},
        "ga4": {"property_id": "properties/318472650"},
        "ads": {"customer_id": "123-456-7890", "login_customer_id": "987-654-3210"},
    }
    config.save(update_fields=["connectors"])
    tenant_connector_secrets_set(
        config=config,
        connector="google",
        secrets={"type": "oauth", "refresh_token": "1//0g-test-refresh-token", "scopes": []},
        actor="test",
    )
    alpha.tenant.config = TenantConfig.objects.get(pk=alpha.tenant.pk)  # as a task would load it
    return alpha.tenant
