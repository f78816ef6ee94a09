"""The website's pages (/api/v1/pages/): members and API keys list, read, create and edit drafts;
owners publish and unpublish, as in the dashboard. Thin adapters over marketing.services.pages; the
social image is uploaded from the dashboard's editor, not here."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from contracts.api import api_actor
from inkwell.api_inputs import StrictInputMixin, text_param
from inkwell.openapi import errors
from marketing.models import Page
from marketing.selectors import page_detail_or_404, page_list
from marketing.services.pages import page_create, page_publish, page_unpublish, page_update
from tenants.permissions import IsTenantMemberOrApiKey, IsTenantOwner

INPUT_FIELDS = ["slug", *Page.CONTENT_FIELDS]


class PageInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    class Meta:
        model = Page
        fields = INPUT_FIELDS
        ref_name = "PageInput"
        # The service checks the address is free and not the product's own (under `slug`).
        extra_kwargs = {"slug": {"validators": []}}


class PageSerializer(serializers.ModelSerializer):
    path = serializers.CharField(read_only=True)
    is_published = serializers.BooleanField(read_only=True)
    has_unpublished_changes = serializers.BooleanField(read_only=True)

    class Meta:
        model = Page
        fields = ["id", *INPUT_FIELDS, "path", "is_published", "has_unpublished_changes"]
        fields += ["first_published_at", "created", "updated"]


class PagePagination(PageNumberPagination):
    page_size = 50


class PagesApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = PagePagination

    @extend_schema(
        operation_id="pages_list",
        tags=["pages"],
        parameters=[
            OpenApiParameter("q", str, description="Search titles and addresses."),
            OpenApiParameter("published", bool, description="Only published (true) or unpublished pages."),
        ],
        responses={200: PageSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        pages = page_list()
        if q := text_param(request, "q"):
            pages = pages.filter(Q(title__icontains=q) | Q(slug__icontains=q))
        if "published" in request.query_params:
            try:
                published = serializers.BooleanField().run_validation(request.query_params["published"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"published": exc.detail}) from None
            pages = pages.filter(published_revision__isnull=not published)
        paginator = PagePagination()
        page = paginator.paginate_queryset(pages, request, view=self)
        return paginator.get_paginated_response(PageSerializer(page, many=True).data)

    @extend_schema(
        operation_id="pages_create",
        tags=["pages"],
        request=PageInputSerializer,
        responses={201: PageSerializer, **errors(400)},
    )
    def post(self, request):
        serializer = PageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        page = page_create(data=serializer.validated_data, actor=api_actor(request))
        return Response(PageSerializer(page_detail_or_404(pk=page.pk)).data, status=status.HTTP_201_CREATED)


class PageApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(tags=["pages"], responses={200: PageSerializer, **errors()})
    def get(self, request, pk):
        return Response(PageSerializer(page_detail_or_404(pk=pk)).data)

    @extend_schema(
        tags=["pages"],
        summary="Save the working copy (visitors see it once it is published)",
        request=PageInputSerializer,
        responses={200: PageSerializer, **errors(400)},
    )
    def patch(self, request, pk):
        page = page_detail_or_404(pk=pk)
        serializer = PageInputSerializer(page, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        page_update(page=page, data=serializer.validated_data, actor=api_actor(request))
        return Response(PageSerializer(page_detail_or_404(pk=pk)).data)


class PagePublishApi(APIView):
    permission_classes = [IsTenantOwner]

    @extend_schema(
        tags=["pages"],
        summary="Put the working copy live (owners)",
        request=None,
        responses={200: PageSerializer, **errors()},
    )
    def post(self, request, pk):
        page_publish(page=page_detail_or_404(pk=pk), actor=api_actor(request))
        return Response(PageSerializer(page_detail_or_404(pk=pk)).data)


class PageUnpublishApi(APIView):
    permission_classes = [IsTenantOwner]

    @extend_schema(
        tags=["pages"],
        summary="Take the page off the site (owners)",
        request=None,
        responses={200: PageSerializer, **errors(409)},
    )
    def post(self, request, pk):
        page_unpublish(page=page_detail_or_404(pk=pk), actor=api_actor(request))
        return Response(PageSerializer(page_detail_or_404(pk=pk)).data)
