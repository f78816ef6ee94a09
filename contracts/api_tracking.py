"""POST /api/v1/contracts/<id>/milestones/: move a shipment one step forward, or correct it back."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api import api_actor
from contracts.error_codes import ContractErrorCode
from contracts.milestones import STEPS
from contracts.models import Contract, Milestone
from contracts.services.tracking import contract_milestone_move
from inkwell.openapi import errors
from tenants.permissions import IsTenantMemberOrApiKey


class MilestoneMoveSerializer(serializers.Serializer):
    """Either {"step", "note", "eta"} (forward) or {"correct_to", "reason"} (back); steps by key or index."""

    step = serializers.CharField(required=False, max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    eta = serializers.DateField(required=False, allow_null=True, default=None)
    correct_to = serializers.CharField(required=False, max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        if ("step" in attrs) == ("correct_to" in attrs):
            raise serializers.ValidationError(
                "Send either step (to move forward) or correct_to with a reason (to move back).",
                code=ContractErrorCode.STEP_OR_CORRECTION,
            )
        return attrs


class MovedMilestoneSerializer(serializers.Serializer):
    step = serializers.CharField()
    index = serializers.IntegerField()
    label = serializers.CharField()
    note = serializers.CharField()
    eta = serializers.DateField(allow_null=True)
    correction_reason = serializers.CharField()
    created = serializers.DateTimeField()


class MilestoneMovedSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    milestone = MovedMilestoneSerializer()


def milestone_json(milestone: Milestone) -> dict:
    step = STEPS[milestone.step]
    return {
        "step": step.key,
        "index": step.index,
        "label": step.label,
        "note": milestone.note,
        "eta": milestone.eta.isoformat() if milestone.eta else None,
        "correction_reason": milestone.correction_reason,
        "created": milestone.created.isoformat(),
    }


class ContractMilestonesApi(APIView):
    # Like the rest of /api/v1/contracts/: the tenant's API keys too (a dispatch system moving its
    # shipments), audited as the key.
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["contracts"],
        request=MilestoneMoveSerializer,
        responses={201: MilestoneMovedSerializer, **errors(400, 409)},
    )
    def post(self, request, pk: int):
        contract = get_object_or_404(Contract, pk=pk)
        serializer = MilestoneMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        milestone = contract_milestone_move(contract=contract, actor=api_actor(request), **data)
        return Response(
            {"contract": contract.pk, "milestone": milestone_json(milestone)}, status=status.HTTP_201_CREATED
        )
