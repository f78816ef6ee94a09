"""Every API error has one shape, {"code", "message", "fields"}, whatever raised it."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework import exceptions, serializers
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from inkwell.errors import Conflict, DomainError, NotAllowed, RateLimited, ServiceUnavailable
from tenants.models import TenantConfig
from tenants.services.provisioning import tenant_provision
from tests.conftest import client_for

SHAPE = {"code", "message", "fields"}


def call_view(work):
    """Answer a request with a DRF view that calls `work()` (which raises)."""

    class Working(APIView):
        authentication_classes = []
        permission_classes = []

        def post(self, request):
            work()

    return Working.as_view()(APIRequestFactory().post("/api/v1/test/", {}, format="json"))


def call_raising(exception):
    def work():
        raise exception

    return call_view(work)


@pytest.mark.django_db
def test_a_service_validation_error_is_a_400_with_field_codes():
    response = call_view(lambda: tenant_provision(name="", subdomain="Bad Name!", owner_email="not-an-email"))
    assert response.status_code == 400
    body = response.data
    assert set(body) == SHAPE and body["code"] == "invalid"
    codes = {field: [e["code"] for e in errors] for field, errors in body["fields"].items()}
    assert codes == {
        "name": ["name_required"],
        "subdomain": ["invalid_subdomain"],
        "owner_email": ["invalid_email"],
    }
    assert body["fields"]["name"][0]["message"] == "A business name is required."


def test_a_validation_error_about_no_field_gives_its_own_code_and_message():
    response = call_raising(ValidationError("Enter the 6 digits from the SMS.", code="invalid_code"))
    assert response.status_code == 400
    assert response.data == {
        "code": "invalid_code",
        "message": "Enter the 6 digits from the SMS.",
        "fields": {
            "non_field_errors": [{"code": "invalid_code", "message": "Enter the 6 digits from the SMS."}]
        },
    }


def test_djangos_all_key_becomes_non_field_errors():
    error = ValidationError({NON_FIELD_ERRORS: ValidationError("Dates overlap.", code="overlap")})
    response = call_raising(error)
    assert response.data["fields"] == {"non_field_errors": [{"code": "overlap", "message": "Dates overlap."}]}
    assert response.data["code"] == "overlap"


def test_nested_serializer_errors_are_dotted_paths():
    detail = {"items": [{}, {"name": [serializers.ErrorDetail("Too long.", code="max_length")]}]}
    response = call_raising(serializers.ValidationError(detail))
    assert response.status_code == 400
    assert response.data["fields"] == {"items.1.name": [{"code": "max_length", "message": "Too long."}]}


@pytest.mark.parametrize(
    "exception, status, code",
    [
        (DomainError("Nope."), 400, "invalid"),
        (DomainError("Nope.", code="custom_reason"), 400, "custom_reason"),
        (NotAllowed("Owners only."), 403, "not_allowed"),
        (Conflict("Already canceled."), 409, "conflict"),
        (ServiceUnavailable("Queue down."), 503, "unavailable"),
        (RateLimited("Slow down.", retry_after=30), 429, "rate_limited"),
    ],
)
def test_domain_errors_answer_their_status_and_code(exception, status, code):
    response = call_raising(exception)
    assert response.status_code == status
    assert response.data == {"code": code, "message": exception.message, "fields": {}}


def test_rate_limited_says_when_to_retry():
    assert call_raising(RateLimited("Slow down.", retry_after=30))["Retry-After"] == "30"


def test_throttled_keeps_retry_after_and_gets_the_shape():
    response = call_raising(exceptions.Throttled(wait=7))
    assert response.status_code == 429 and response["Retry-After"] == "7"
    assert set(response.data) == SHAPE and response.data["code"] == "throttled"


def test_anonymous_api_call_is_not_authenticated(alpha):
    # The API-key authentication's challenge makes it a 401 (session authentication alone has none).
    response = client_for(alpha).get("/api/v1/me/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Api-Key"
    assert set(response.json()) == SHAPE and response.json()["code"] == "not_authenticated"


def test_non_member_gets_not_found_in_the_shape(alpha, beta):
    response = client_for(beta, user=alpha.owner).get("/api/v1/me/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


def test_unknown_api_url_is_not_found_in_the_shape(alpha):
    response = client_for(alpha, user=alpha.owner).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert client_for(alpha).get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_member_write_is_permission_denied_in_the_shape(alpha):
    response = client_for(alpha, user=alpha.member).patch(
        "/api/v1/config/", {"brand_name": "Mine now"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert set(response.json()) == SHAPE and response.json()["code"] == "permission_denied"
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).brand_name == "Alpha Movers"


def test_wrong_method_is_method_not_allowed_in_the_shape(alpha):
    response = client_for(alpha, user=alpha.owner).delete("/api/v1/config/")
    assert response.status_code == 405
    assert set(response.json()) == SHAPE and response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_parse_error_in_the_shape(alpha):
    response = client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == SHAPE and response.json()["code"] == "parse_error"


def test_serializer_field_errors_carry_the_validators_codes(alpha):
    response = client_for(alpha, user=alpha.owner).patch(
        "/api/v1/config/",
        {"primary_color": "blue", "timezone": "Mars/Olympus"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["primary_color"][0]["code"] == "invalid_colour"
    assert body["fields"]["timezone"][0]["code"] == "invalid_timezone"
