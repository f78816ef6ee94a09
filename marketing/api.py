"""The leads REST API (/api/v1/leads/): members signed in, or the tenant's API keys (a website's
quote form, a CRM). Thin adapters over marketing.services; errors in inkwell/errors.py's shape."""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api import api_actor
from inkwell.api_inputs import text_param
from inkwell.openapi import errors
from marketing.models import Lead, LeadEvent
from marketing.selectors import lead_detail, lead_detail_or_404, lead_list
from marketing.services.leads import INPUT_FIELDS, lead_create, lead_status_set
from tenants.permissions import IsTenantMemberOrApiKey

OUTPUT_FIELDS = ["id", *INPUT_FIELDS, "status", "created", "updated"]


class LeadEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadEvent
        fields = ["kind", "actor_label", "from_status", "to_status", "note", "created"]


class LeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = OUTPUT_FIELDS


class LeadDetailSerializer(LeadSerializer):
    events = LeadEventSerializer(many=True, read_only=True)

    class Meta(LeadSerializer.Meta):
        fields = [*OUTPUT_FIELDS, "events"]


class LeadPagination(PageNumberPagination):
    page_size = 50


def _choice(request, name: str, choices) -> str:
    value = request.query_params.get(name, "")
    if value and value not in choices.values:
        raise serializers.ValidationError(
            {name: [f"Unknown {name}; use one of {', '.join(choices.values)}."]}
        )
    return value


class LeadInputSerializer(serializers.ModelSerializer):
    """What a client sends to create a lead (validated by the service, one error per field)."""

    class Meta:
        model = Lead
        fields = list(INPUT_FIELDS)
        ref_name = "LeadInput"


class LeadsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = LeadPagination

    @extend_schema(
        operation_id="leads_list",
        tags=["leads"],
        parameters=[
            OpenApiParameter("q", str, description="Search names, emails, phones and messages."),
            OpenApiParameter("status", str, enum=Lead.Status.values),
            OpenApiParameter("source", str, enum=Lead.Source.values),
        ],
        responses={200: LeadSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        leads = lead_list(
            search=text_param(request, "q"),
            status=_choice(request, "status", Lead.Status),
            source=_choice(request, "source", Lead.Source),
        )
        paginator = LeadPagination()
        page = paginator.paginate_queryset(leads, request, view=self)
        return paginator.get_paginated_response(LeadSerializer(page, many=True).data)

    @extend_schema(
        operation_id="leads_create",
        tags=["leads"],
        request=LeadInputSerializer,
        responses={
            201: LeadDetailSerializer,
            200: OpenApiResponse(
                LeadDetailSerializer, description="The same lead sent again: the one stored."
            ),
            **errors(400),
        },
    )
    def post(self, request):
        # The service validates (one error per field); an API caller is `api` unless it says otherwise.
        if not isinstance(request.data, Mapping):
            raise serializers.ValidationError("Send one lead as an object.")
        data = {"source": Lead.Source.API, **dict(request.data.items())}
        lead, created = lead_create(data=data, actor=api_actor(request))
        return Response(
            LeadDetailSerializer(lead_detail(pk=lead.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LeadApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(tags=["leads"], responses={200: LeadDetailSerializer, **errors()})
    def get(self, request, pk):
        return Response(LeadDetailSerializer(lead_detail_or_404(pk=pk)).data)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Lead.Status.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class LeadStatusApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["leads"], request=StatusSerializer, responses={200: LeadDetailSerializer, **errors(400, 409)}
    )
    def post(self, request, pk):
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = lead_status_set(
            lead=lead_detail_or_404(pk=pk),
            status=serializer.validated_data["status"],
            note=serializer.validated_data.get("note", ""),
            actor=api_actor(request),
        )
        return Response(LeadDetailSerializer(lead_detail(pk=lead.pk)).data)
