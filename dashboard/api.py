"""The tenant REST API (session-authenticated for now; agent tokens come with the MCP issue)."""

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.error_codes import TenantErrorCode
from tenants.features import TOGGLES
from tenants.models import TenantConfig
from tenants.permissions import IsTenantOwnerForWrites
from tenants.services.config import EDITABLE_FIELDS, NOT_EDITABLE, tenant_config_update


class MeApi(APIView):
    def get(self, request):
        membership = request._request.membership
        return Response(
            {
                "email": request.user.email,
                "full_name": request.user.full_name,
                "role": membership.role,
                "tenant": {"name": request.tenant.name, "subdomain": request.tenant.subdomain},
            }
        )


class OverviewApi(APIView):
    """What the dashboard's overview page shows: which areas of the business are switched on."""

    def get(self, request):
        config = request.tenant.config
        return Response(
            {"areas": {name.removeprefix("feature_"): getattr(config, name) for name in sorted(TOGGLES)}}
        )


class ConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantConfig
        fields = [field for field in EDITABLE_FIELDS if field != "logo"]  # the logo is uploaded by form

    def to_internal_value(self, data):
        # DRF drops unknown keys silently; a client sending one (a typo, connector_secrets) must hear no.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {key: [ErrorDetail(NOT_EDITABLE, code=TenantErrorCode.FIELD_NOT_EDITABLE)] for key in unknown}
            )
        return super().to_internal_value(data)


class ConfigApi(APIView):
    permission_classes = [IsTenantOwnerForWrites]

    def get(self, request):
        return Response(ConfigSerializer(request.tenant.config).data)

    def patch(self, request):
        serializer = ConfigSerializer(request.tenant.config, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = tenant_config_update(
            config=request.tenant.config, data=serializer.validated_data, actor=request.user
        )
        return Response(ConfigSerializer(config).data)
