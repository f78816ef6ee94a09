"""The team (/api/v1/team/): members and API keys see who works for the business; owners signed in
invite people, change roles and remove people, as on the settings page (tenants.services.team). The
last owner stays: taking them away answers 409 `last_owner`."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from inkwell.api_inputs import StrictInputMixin
from inkwell.openapi import errors
from tenants.models import Membership
from tenants.permissions import IsTenantMemberOrApiKeyOwnerWrites
from tenants.services.team import member_invite, member_remove, member_role_set, team_of


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role"]


class InviteSerializer(StrictInputMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class RoleSerializer(StrictInputMixin, serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class TeamPagination(PageNumberPagination):
    page_size = 100


def _membership_or_404(request, pk) -> Membership:
    # Memberships live in the public schema: only this tenant's are found.
    return get_object_or_404(team_of(tenant=request.tenant), pk=pk)


class TeamApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerWrites]
    pagination_class = TeamPagination

    @extend_schema(
        operation_id="team_list",
        tags=["team"],
        parameters=[OpenApiParameter("role", str, enum=Membership.Role.values)],
        responses={200: MemberSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        team = team_of(tenant=request.tenant)
        role = request.query_params.get("role", "")
        if role:
            if role not in Membership.Role.values:
                raise serializers.ValidationError(
                    {"role": [f"Unknown role; use one of {', '.join(Membership.Role.values)}."]}
                )
            team = team.filter(role=role)
        paginator = TeamPagination()
        page = paginator.paginate_queryset(team, request, view=self)
        return paginator.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(
        operation_id="team_invite",
        tags=["team"],
        summary="Invite a person (owners): they get a welcome sign-in link by email",
        request=InviteSerializer,
        responses={201: MemberSerializer, **errors(400, 409)},
    )
    def post(self, request):
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = member_invite(tenant=request.tenant, actor=request.user, **serializer.validated_data)
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class TeamMemberApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerWrites]

    @extend_schema(tags=["team"], responses={200: MemberSerializer, **errors()})
    def get(self, request, pk):
        return Response(MemberSerializer(_membership_or_404(request, pk)).data)

    @extend_schema(
        tags=["team"],
        summary="Change a person's role (owners)",
        request=RoleSerializer,
        responses={200: MemberSerializer, **errors(400, 409)},
    )
    def patch(self, request, pk):
        membership = _membership_or_404(request, pk)
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = member_role_set(
            membership=membership, role=serializer.validated_data["role"], actor=request.user
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        tags=["team"],
        summary="Remove a person from the team (owners)",
        responses={204: OpenApiResponse(description="Removed."), **errors(409)},
    )
    def delete(self, request, pk):
        member_remove(membership=_membership_or_404(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
