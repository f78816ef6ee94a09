"""The contracts REST API (/api/v1/contracts/): members signed in, or the tenant's API keys.

Members may create, send and void contracts from the API as from the dashboard: they are the staff
of the business. Thin adapters over contracts.services; errors answer in inkwell/errors.py's shape.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import get_error_detail
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.milestones import STEPS
from contracts.models import Contract, ContractEvent, Milestone
from contracts.selectors import contract_detail, contract_detail_or_404, contract_list
from contracts.services.contracts import contract_create, contract_send, contract_void
from contracts.services.events import Actor
from contracts.validators import validate_contract_fields
from inkwell.api_inputs import text_param
from inkwell.openapi import errors
from tenants.error_codes import TenantErrorCode
from tenants.models import ApiKey
from tenants.permissions import IsTenantMemberOrApiKey
from tenants.validators import normalize_phone

# What a client sets when creating a contract; everything else (reference, status, terms, link,
# timestamps) belongs to the services.
INPUT_FIELDS = [
    "customer_name",
    "customer_email",
    "customer_phone",
    "contact_preference",
    "vehicle_year",
    "vehicle_make",
    "vehicle_model",
    "vehicle_vin",
    "origin",
    "destination",
    "service_type",
    "rate",
    "currency",
    "payment_terms",
    "inclusions",
    "insurance",
    "insurance_rate",
    "declared_value",
    "pickup_from",
    "pickup_to",
    "notes",
]


def api_actor(request) -> Actor:
    """Who is calling: an API key (named by its label) or the signed-in member."""
    actor = Actor.from_request(request._request, type=ContractEvent.Actor.OWNER)
    if isinstance(request.auth, ApiKey):
        return Actor(
            type=ContractEvent.Actor.API,
            label=f"api-key:{request.auth.label}",
            ip=actor.ip,
            user_agent=actor.user_agent,
        )
    return actor


class ContractInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = INPUT_FIELDS

    def to_internal_value(self, data):
        # DRF drops unknown keys silently; a client sending `status` or a typo must hear no.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {
                    key: [ErrorDetail("This field can't be set.", code=TenantErrorCode.FIELD_NOT_EDITABLE)]
                    for key in unknown
                }
            )
        return super().to_internal_value(data)

    def validate_customer_phone(self, value):
        return normalize_phone(value) if value else value

    def validate(self, attrs):
        try:
            validate_contract_fields(attrs)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from None
        return attrs


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractEvent
        fields = ["kind", "actor_type", "actor_label", "data", "created"]


class MilestoneSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = ["step", "label", "note", "eta", "correction_reason", "created"]

    def get_label(self, milestone) -> str:
        return STEPS[milestone.step].label if milestone.step < len(STEPS) else ""


class ContractSerializer(serializers.ModelSerializer):
    insurance_cost = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    milestone_label = serializers.SerializerMethodField()
    terms_version = serializers.SerializerMethodField()
    sealed = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "status",
            *INPUT_FIELDS,
            "insurance_cost",
            "terms_version",
            "milestone",
            "milestone_label",
            "created",
            "sent_at",
            "viewed_at",
            "signed_at",
            "sealed_at",
            "link_expires_at",
            "sealed",
        ]

    def get_milestone_label(self, contract) -> str | None:
        return None if contract.milestone is None else STEPS[contract.milestone].label

    def get_terms_version(self, contract) -> int | None:
        # The version is frozen on first send; the template row is the version's number.
        return contract.template.version if contract.template_id else None

    def get_sealed(self, contract) -> bool:
        return bool(contract.sealed_pdf)


class ContractDetailSerializer(ContractSerializer):
    events = EventSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "events", "milestones", "terms_snapshot"]


class ContractPagination(PageNumberPagination):
    page_size = 25


class ContractsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = ContractPagination  # also tells the schema the list is paginated

    @extend_schema(
        operation_id="contracts_list",
        tags=["contracts"],
        parameters=[
            OpenApiParameter("q", str, description="Search names, emails, phones, references, vehicles."),
            OpenApiParameter("status", str, enum=Contract.Status.values),
        ],
        responses={200: ContractSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        status_filter = request.query_params.get("status", "")
        if status_filter and status_filter not in Contract.Status.values:
            raise serializers.ValidationError(
                {"status": [f"Unknown status; use one of {', '.join(Contract.Status.values)}."]}
            )
        contracts = contract_list(search=text_param(request, "q"), status=status_filter).select_related(
            "template"
        )
        paginator = ContractPagination()
        page = paginator.paginate_queryset(contracts, request, view=self)
        return paginator.get_paginated_response(ContractSerializer(page, many=True).data)

    @extend_schema(
        operation_id="contracts_create",
        tags=["contracts"],
        request=ContractInputSerializer,
        responses={201: ContractDetailSerializer, **errors(400)},
    )
    def post(self, request):
        serializer = ContractInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = contract_create(data=serializer.validated_data, actor=api_actor(request))
        return Response(
            ContractDetailSerializer(contract_detail(pk=contract.pk)).data, status=status.HTTP_201_CREATED
        )


class ContractApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(tags=["contracts"], responses={200: ContractDetailSerializer, **errors()})
    def get(self, request, pk):
        contract = contract_detail_or_404(pk=pk)
        return Response(ContractDetailSerializer(contract).data)


class ContractSendApi(APIView):
    """Send a draft, or resend (a new link; the old one stops working)."""

    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["contracts"], request=None, responses={200: ContractDetailSerializer, **errors(400, 409, 429)}
    )
    def post(self, request, pk):
        contract = contract_send(contract=contract_detail_or_404(pk=pk), actor=api_actor(request))
        return Response(ContractDetailSerializer(contract_detail(pk=contract.pk)).data)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ContractVoidApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["contracts"],
        request=VoidSerializer,
        responses={200: ContractDetailSerializer, **errors(400, 409)},
    )
    def post(self, request, pk):
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = contract_void(
            contract=contract_detail_or_404(pk=pk),
            actor=api_actor(request),
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(ContractDetailSerializer(contract_detail(pk=contract.pk)).data)
