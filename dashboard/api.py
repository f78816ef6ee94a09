"""The tenant REST API (session-authenticated for now; agent tokens come with the MCP issue)."""

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import TenantConfig
from tenants.permissions import IsTenantOwnerForWrites
from tenants.services.config import tenant_config_update


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


class ConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantConfig
        fields = [
            "brand_name", "primary_color", "accent_color", "timezone", "locale", "currency",
            "business_phone", "business_email", "feature_contracts", "feature_dashboard", "feature_chat",
            "feature_questionnaire", "feature_campaigns",
        ]  # fmt: skip


class ConfigApi(APIView):
    permission_classes = [IsTenantOwnerForWrites]

    def get(self, request):
        return Response(ConfigSerializer(request.tenant.config).data)

    def patch(self, request):
        serializer = ConfigSerializer(request.tenant.config, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = tenant_config_update(config=request.tenant.config, data=serializer.validated_data)
        return Response(ConfigSerializer(config).data)
