"""The chat inbox over the API (/api/v1/chat/conversations/): members and API keys read the
conversations (newest first, `show=unread|needs-reply`) and one conversation with its messages.
Reading through the API marks nothing read (that is a person's look, in the inbox page). Thin
adapters over chat.selectors_inbox; errors in inkwell/errors.py's shape."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import Conversation, Message
from chat.selectors_inbox import Show, conversation_list, conversation_transcript
from inkwell.openapi import errors
from tenants.permissions import IsTenantMemberOrApiKey


class ConversationSerializer(serializers.ModelSerializer):
    first_line = serializers.CharField(
        read_only=True, allow_null=True, help_text="The visitor's first message (null: none yet)."
    )
    message_count = serializers.IntegerField(read_only=True)
    unread = serializers.BooleanField(read_only=True, help_text="A message came after the team last read it.")
    lead_name = serializers.CharField(source="lead.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Conversation
        fields = [
            "id", "started", "last_message_at", "page", "first_line", "message_count", "unread",
            "needs_reply", "handover_reason", "lead", "lead_name",
        ]  # fmt: skip
        read_only_fields = fields
        ref_name = "ChatConversation"


class MessageSerializer(serializers.ModelSerializer):
    sources = serializers.ListField(
        child=serializers.IntegerField(), help_text="The memory entries (ids) the answer was built from."
    )

    class Meta:
        model = Message
        fields = ["id", "role", "origin", "text", "sources", "author_label", "created"]
        ref_name = "ChatMessage"


class ConversationDetailSerializer(serializers.ModelSerializer):
    unread = serializers.BooleanField(read_only=True)
    lead_name = serializers.CharField(source="lead.name", read_only=True, allow_null=True, default=None)
    messages = MessageSerializer(many=True, read_only=True, source="transcript")

    class Meta:
        model = Conversation
        fields = [
            "id", "started", "last_message_at", "page", "unread", "needs_reply", "handover_reason",
            "lead", "lead_name", "messages",
        ]  # fmt: skip
        read_only_fields = fields
        ref_name = "ChatConversationDetail"


class ConversationQuerySerializer(serializers.Serializer):
    show = serializers.ChoiceField(
        choices=[value for value in Show.VALUES if value],
        required=False,
        help_text="Only the unread ones, or only those waiting for a reply.",
    )


class ConversationPagination(PageNumberPagination):
    page_size = 20


class ConversationsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = ConversationPagination

    @extend_schema(
        operation_id="chat_conversations_list",
        tags=["chat"],
        parameters=[ConversationQuerySerializer],
        responses={200: ConversationSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        query = ConversationQuerySerializer(
            data={k: v for k, v in request.query_params.items() if k == "show"}
        )
        query.is_valid(raise_exception=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            conversation_list(show=query.validated_data.get("show", Show.ALL)), request, view=self
        )
        return paginator.get_paginated_response(ConversationSerializer(page, many=True).data)


class ConversationApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        operation_id="chat_conversation_detail",
        tags=["chat"],
        responses={200: ConversationDetailSerializer, **errors()},
    )
    def get(self, request, pk):
        conversation, messages = conversation_transcript(pk=pk)
        conversation.transcript = messages
        return Response(ConversationDetailSerializer(conversation).data)
