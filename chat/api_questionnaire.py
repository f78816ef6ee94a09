"""The daily questionnaire over the API (/api/v1/questionnaire/): members and API keys read the asks,
newest first, each with its answers (the area's feature toggle and the plan gate apply by URL)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination

from chat.models import Answer, QuestionAsk
from chat.selectors_questionnaire import ask_list
from inkwell.openapi import errors
from tenants.permissions import IsTenantMemberOrApiKey


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = ["id", "text", "via", "author_label", "created"]
        ref_name = "QuestionnaireAnswer"


class QuestionAskSerializer(serializers.ModelSerializer):
    group = serializers.SerializerMethodField(help_text="The question's group, if it is still in the bank.")
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = QuestionAsk
        fields = ["id", "local_date", "question_text", "group", "sent_at", "answered_at", "answers"]

    def get_group(self, ask) -> str:
        return ask.question.group if ask.question else ""


class AskPagination(PageNumberPagination):
    page_size = 20


class QuestionnaireAsksApi(ListAPIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = AskPagination
    serializer_class = QuestionAskSerializer

    def get_queryset(self):
        return ask_list().select_related("question")

    @extend_schema(
        operation_id="questionnaire_asks",
        tags=["questionnaire"],
        responses={200: QuestionAskSerializer(many=True), **errors()},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
