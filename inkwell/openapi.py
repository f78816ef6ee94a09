"""The API's OpenAPI 3 schema (/api/schema/) and its browsable docs (/api/docs/), drf-spectacular.

The one error shape of inkwell/errors.py is one component (`Error`), and every endpoint lists the
errors it can answer with through `errors(...)`, so clients see each status and its shape. API keys
are a security scheme of their own (`Authorization: Api-Key <key>`).

Who may read them: the schema is the same document on every tenant host and holds no tenant data (no
names, no ids, no settings), so anyone may fetch it — code generators and integrators read it before
they hold a key, and every endpoint it describes still refuses anonymous calls. The docs page is part
of the signed-in product (its "Try it out" calls the API as the viewer): members and API keys only.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response

from tenants.permissions import IsTenantMemberOrApiKey


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable name of what is wrong.")
    message = serializers.CharField(help_text="What is wrong, for a person.")


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers with (inkwell/errors.py)."""

    code = serializers.CharField(help_text="A stable, machine-readable name clients branch on.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        help_text='The fields at fault (nested ones dotted: "items.0.name"; errors tied to no one field '
        'under "non_field_errors"), each with its errors; {} when no field is at fault.',
    )

    class Meta:
        ref_name = "Error"


_ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each field at fault.",
    401: "No credentials, or an unknown or revoked API key (`WWW-Authenticate: Api-Key`).",
    403: "Signed in, but not allowed: an owner-only action, a missing CSRF token, or a feature the plan "
    "does not include (`plan_upgrade_required`).",
    404: "No such object on this tenant (also what another tenant's people get), or an area switched off.",
    409: "Not possible in the object's current state (`code` says why).",
    429: "Too many attempts; `Retry-After` says when to try again.",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses an operation can give, for extend_schema(responses=...). 401, 403 and 404
    apply to every tenant API call (no credentials, not allowed, not this tenant's / switched off)."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in sorted({401, 403, 404, *codes})
    }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A key of this tenant, made by an owner in the dashboard's settings, sent as "
            "`Authorization: Api-Key <key>`.",
        }


class SchemaView(SpectacularAPIView):
    """The document is the same for everyone on every host and only changes with the code, so each
    process builds it once (about 0.3 s of CPU): open to anyone, it must not cost that per request.
    `?lang=` and `?version=` are ignored for the same reason (the API has one version, in English)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []  # nothing to authenticate: the document is the same for everyone
    built: dict | None = None  # this process's document

    def _get_schema_response(self, request):
        if SchemaView.built is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=self.api_version, patterns=self.patterns
            )
            SchemaView.built = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=SchemaView.built,
            headers={
                "Content-Disposition": f'inline; filename="{self._get_filename(request, self.api_version)}"'
            },
        )


@extend_schema(exclude=True)
class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files, its start-up script served as a file of its own (the CSP
    refuses inline scripts) and its page without the inline <style> drf-spectacular's template has."""

    permission_classes = [IsTenantMemberOrApiKey]
    template_name = "api/swagger_ui.html"
    url_name = "api_schema"

    def handle_exception(self, exc):
        # A page for people: anonymous visitors sign in first, other tenants' people get the 404 page.
        if isinstance(exc, exceptions.NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        if isinstance(exc, exceptions.NotFound):
            raise Http404("No such page.")
        return super().handle_exception(exc)


# Swagger UI's stylesheet draws its icons as data: SVG images; on this page only, images may be those.
docs_view = csp_update({"img-src": ["'self'", "data:"]})(DocsView.as_view())
