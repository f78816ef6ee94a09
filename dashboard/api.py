"""The tenant REST API (session-authenticated for now; agent tokens come with the MCP issue)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.selectors import site_info
from inkwell.openapi import errors
from tenants.error_codes import TenantErrorCode
from tenants.features import TOGGLES
from tenants.models import Membership, TenantConfig
from tenants.permissions import IsTenantMemberOrApiKey, IsTenantOwnerForWrites
from tenants.services.config import EDITABLE_FIELDS, NOT_EDITABLE, tenant_config_update


class MeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="The signed-in member (sessions only: an API key is no person)",
        responses={
            200: inline_serializer(
                name="Me",
                fields={
                    "email": serializers.EmailField(),
                    "full_name": serializers.CharField(),
                    "role": serializers.ChoiceField(choices=Membership.Role.choices),
                    "tenant": inline_serializer(
                        name="MeTenant",
                        fields={"name": serializers.CharField(), "subdomain": serializers.CharField()},
                    ),
                },
            ),
            **errors(),
        },
    )
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

    @extend_schema(
        tags=["account"],
        responses={
            200: inline_serializer(
                name="Overview",
                fields={"areas": serializers.DictField(child=serializers.BooleanField())},
            ),
            **errors(),
        },
    )
    def get(self, request):
        config = request.tenant.config
        return Response(
            {"areas": {name.removeprefix("feature_"): getattr(config, name) for name in sorted(TOGGLES)}}
        )


class SiteInfoApi(APIView):
    """The business at a glance, as the MCP tool site_info gives it: name, plan, domains, which
    areas are on, and each data connector's health. Members or the tenant's API keys."""

    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["account"],
        responses={
            200: inline_serializer(name="SiteInfo", fields={"name": serializers.CharField()}),
            **errors(),
        },
    )
    def get(self, request):
        return Response(site_info(tenant=request.tenant))


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

    @extend_schema(tags=["account"], responses={200: ConfigSerializer, **errors()})
    def get(self, request):
        return Response(ConfigSerializer(request.tenant.config).data)

    @extend_schema(
        tags=["account"], request=ConfigSerializer, responses={200: ConfigSerializer, **errors(400)}
    )
    def patch(self, request):
        serializer = ConfigSerializer(request.tenant.config, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        config = tenant_config_update(
            config=request.tenant.config, data=serializer.validated_data, actor=request.user
        )
        return Response(ConfigSerializer(config).data)
