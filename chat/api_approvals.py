"""The approvals queue over the API (/api/v1/agents/approvals/): owners list the proposals
(`?status=`; pending first), read one with its preview and diff, and approve or reject it. Thin
adapters over chat.services.approvals and chat.selectors_approvals; errors in inkwell/errors.py's
shape (409 with the reason's code when a proposal can't be decided or applied). Members and API keys
get 403: deciding is an owner's act, and an API key acts for no one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import Approval
from chat.selectors_approvals import approval_detail, approval_list
from chat.services.approvals import approval_approve, approval_reject
from inkwell.openapi import errors
from tenants.permissions import IsTenantOwner

FIELDS = [
    "id", "kind", "status", "agent_name", "agent_token", "summary", "target_ref", "created", "expires_at",
    "decided_at", "decided_by_label", "decided_via", "result",
]  # fmt: skip


class ApprovalSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        source="state",
        choices=Approval.Status.choices,
        read_only=True,
        help_text="Where it stands; a pending proposal past `expires_at` is `expired`.",
    )
    agent_token = serializers.IntegerField(
        source="token_id", read_only=True, allow_null=True, help_text="The id of the agent's token."
    )
    result = serializers.DictField(
        read_only=True, help_text="What approving did (e.g. the published revision), or why it failed."
    )

    class Meta:
        model = Approval
        fields = FIELDS
        read_only_fields = FIELDS
        ref_name = "AgentApproval"


class ApprovalPreviewSerializer(serializers.Serializer):
    before = serializers.CharField(help_text="The text as it is now (what visitors see).")
    after = serializers.CharField(help_text="The text as the agent proposes it.")
    diff = serializers.CharField(help_text="A unified diff from `before` to `after`.")

    class Meta:
        ref_name = "AgentApprovalPreview"


class ApprovalDetailSerializer(ApprovalSerializer):
    preview = ApprovalPreviewSerializer(read_only=True)

    class Meta(ApprovalSerializer.Meta):
        fields = [*FIELDS, "preview"]
        read_only_fields = fields
        ref_name = "AgentApprovalDetail"


class ApprovalQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Approval.Status.choices, required=False, help_text="Only the proposals in this state."
    )


class ApprovalPagination(PageNumberPagination):
    page_size = 20


class ApprovalsApi(APIView):
    permission_classes = [IsTenantOwner]
    pagination_class = ApprovalPagination

    @extend_schema(
        operation_id="agent_approvals_list",
        tags=["agents"],
        parameters=[ApprovalQuerySerializer],
        responses={200: ApprovalSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        query = ApprovalQuerySerializer(data={k: v for k, v in request.query_params.items() if k == "status"})
        query.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            approval_list(status=query.validated_data.get("status")), request, view=self
        )
        return paginator.get_paginated_response(ApprovalSerializer(page, many=True).data)


class ApprovalApi(APIView):
    permission_classes = [IsTenantOwner]

    @extend_schema(
        operation_id="agent_approval_detail",
        tags=["agents"],
        responses={200: ApprovalDetailSerializer, **errors()},
    )
    def get(self, request, pk):
        return Response(ApprovalDetailSerializer(approval_detail(pk=pk)).data)


class ApprovalApproveApi(APIView):
    permission_classes = [IsTenantOwner]

    @extend_schema(
        operation_id="agent_approval_approve",
        tags=["agents"],
        request=None,
        responses={200: ApprovalDetailSerializer, **errors(409)},
        description="Apply the proposal through the same service a person's edit uses. 409 codes: "
        "`illegal_approval_transition` (decided already), `approval_expired`, `changed_since_proposal`, "
        "`approval_target_gone`, `approval_not_applicable` (the last three mark it failed).",
    )
    def post(self, request, pk):
        approval_approve(approval_id=pk, user=request.user, via="api")
        return Response(ApprovalDetailSerializer(approval_detail(pk=pk)).data)


class ApprovalRejectApi(APIView):
    permission_classes = [IsTenantOwner]

    @extend_schema(
        operation_id="agent_approval_reject",
        tags=["agents"],
        request=None,
        responses={200: ApprovalDetailSerializer, **errors(409)},
        description="Refuse the proposal; nothing is changed. 409 codes: `illegal_approval_transition`, "
        "`approval_expired`.",
    )
    def post(self, request, pk):
        approval_reject(approval_id=pk, user=request.user, via="api")
        return Response(ApprovalDetailSerializer(approval_detail(pk=pk)).data)
