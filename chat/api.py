"""The business memory over the API (/api/v1/memory/): members and API keys list, search and add
entries (an entry is an optional title — the question it answers — and a text; adding the same title
and text again merges into the existing entry: 200 instead of 201); owners
signed in edit and delete, as in the dashboard. Thin adapters over chat.selectors and
chat.services.memory; errors in inkwell/errors.py's shape."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import MAX_TAG, MAX_TAGS, MAX_TEXT, MAX_TITLE, MemoryEntry
from chat.selectors import PRIVATE_SOURCES, memory_entries, memory_list, memory_search_queryset
from chat.services.memory import memory_add, memory_delete, memory_update
from inkwell.api_inputs import StrictInputMixin, text_param
from inkwell.openapi import errors
from tenants.models import ApiKey
from tenants.permissions import IsTenantMemberOrApiKey, IsTenantMemberOrApiKeyOwnerWrites


def actor_label(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"api-key:{request.auth.label}"
    return request.user.email or str(request.user.pk)


def owner_signed_in(request) -> bool:
    """An owner's session: the only API reader of the owners' private entries (agents' checkpoints).
    An API key acts for no person, so it never reads them."""
    if isinstance(request.auth, ApiKey):
        return False
    membership = getattr(request._request, "membership", None)
    return membership is not None and membership.is_owner


# Checkpoints are written by the agents' checkpoint_save only: nobody files an entry as one.
WRITABLE_SOURCES = [(v, label) for v, label in MemoryEntry.Source.choices if v not in PRIVATE_SOURCES]


class MemoryInputSerializer(StrictInputMixin, serializers.Serializer):
    title = serializers.CharField(
        max_length=MAX_TITLE,
        required=False,
        allow_blank=True,
        help_text="The question this answers (an FAQ's question), if any.",
    )
    text = serializers.CharField(max_length=MAX_TEXT, help_text="What the business should remember.")
    source = serializers.ChoiceField(choices=WRITABLE_SOURCES, default=MemoryEntry.Source.NOTE)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG), max_length=MAX_TAGS, required=False, default=list
    )

    class Meta:
        ref_name = "MemoryInput"


class MemoryEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = MemoryEntry
        fields = ["id", "title", "text", "source", "tags", "author_label", "created", "updated"]


class MemorySearchResultSerializer(MemoryEntrySerializer):
    rank = serializers.FloatField(
        read_only=True,
        help_text="Text-search rank (higher is better; compares entries of one search only); null without q.",
    )

    class Meta(MemoryEntrySerializer.Meta):
        fields = [*MemoryEntrySerializer.Meta.fields, "rank"]


class MemoryQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text=(
            "Full-text search: a question or words (any of them, rarer words and title matches rank "
            'higher), or web-search syntax ("a phrase", -not: every word must match).'
        ),
    )
    source = serializers.ChoiceField(choices=MemoryEntry.Source.choices, required=False)


class MemoryPagination(PageNumberPagination):
    page_size = 20


class MemoryApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = MemoryPagination

    @extend_schema(
        operation_id="memory_list",
        tags=["memory"],
        parameters=[MemoryQuerySerializer],
        responses={200: MemorySearchResultSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        q = text_param(request, "q")
        query = MemoryQuerySerializer(data={k: v for k, v in request.query_params.items() if k == "source"})
        query.is_valid(raise_exception=True)
        source = query.validated_data.get("source")
        private = owner_signed_in(request)
        if q:
            entries = memory_search_queryset(query=q, source=source, private=private)
        else:
            entries = memory_list(source=source, private=private)
        paginator = MemoryPagination()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(MemorySearchResultSerializer(page, many=True).data)

    @extend_schema(
        operation_id="memory_create",
        tags=["memory"],
        request=MemoryInputSerializer,
        responses={
            201: MemoryEntrySerializer,
            200: OpenApiResponse(
                MemoryEntrySerializer, description="The same title and text were known: merged into it."
            ),
            **errors(400),
        },
    )
    def post(self, request):
        serializer = MemoryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry, created = memory_add(**serializer.validated_data, actor_label=actor_label(request))
        return Response(
            MemoryEntrySerializer(entry).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MemoryEntryApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerWrites]

    @extend_schema(tags=["memory"], responses={200: MemoryEntrySerializer, **errors()})
    def get(self, request, pk):
        entry = get_object_or_404(memory_entries(private=owner_signed_in(request)), pk=pk)
        return Response(MemoryEntrySerializer(entry).data)

    @extend_schema(
        tags=["memory"],
        request=MemoryInputSerializer(partial=True),
        responses={200: MemoryEntrySerializer, **errors(400)},
    )
    def patch(self, request, pk):
        entry = get_object_or_404(MemoryEntry, pk=pk)
        serializer = MemoryInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(
            MemoryEntrySerializer(memory_update(entry=entry, data=serializer.validated_data)).data
        )

    @extend_schema(tags=["memory"], responses={204: OpenApiResponse(description="Deleted."), **errors()})
    def delete(self, request, pk):
        memory_delete(entry=get_object_or_404(MemoryEntry, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
