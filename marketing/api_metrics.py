"""The marketing read API: metrics summary and series, top search queries and pages, ingestion runs.
Members signed in, or the tenant's API keys; thin adapters over marketing.metrics."""

from __future__ import annotations

from datetime import date, timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.error_codes import BillingErrorCode
from billing.plans import plan_allows
from inkwell.api_inputs import text_param
from inkwell.errors import NotAllowed
from inkwell.openapi import errors
from marketing.metrics import (
    ORDERINGS,
    SERIES_METRICS,
    Period,
    biggest_movers,
    last_complete,
    metric_series,
    metrics_summary,
    period_over_period,
    search_dimension_table,
)
from marketing.models import IngestionRun, Score
from marketing.services.ingestion import tenant_local_today
from tenants.permissions import IsTenantMemberOrApiKey

MAX_RANGE_DAYS = 731  # two years, a leap day included
# Before any data anyone has; also keeps the "period before" arithmetic far from date.min.
EARLIEST = date(2000, 1, 1)
DEFAULT_RANGE_DAYS = 28
PAGE_SIZE = 50


class RangeSerializer(serializers.Serializer):
    """`start` and `end` (YYYY-MM-DD, both included); either or both may be left out: the default is
    the last 28 complete days in the tenant's time zone."""

    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def _not_too_early(self, value):
        if value < EARLIEST:
            raise serializers.ValidationError(
                f"Ask for {EARLIEST.isoformat()} or later.", code="range_too_early"
            )
        return value

    validate_start = validate_end = _not_too_early

    def validate(self, data):
        tenant = self.context["tenant"]
        today = tenant_local_today(tenant)
        end = data.get("end") or today - timedelta(days=1)
        start = data.get("start") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end:
            raise serializers.ValidationError(
                {"start": [serializers.ErrorDetail("The start is after the end.", code="range_reversed")]}
            )
        if end > today:
            raise serializers.ValidationError(
                {
                    "end": [
                        serializers.ErrorDetail("The end can't be later than today.", code="range_in_future")
                    ]
                }
            )
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            message = f"Ask for at most {MAX_RANGE_DAYS} days at a time."
            raise serializers.ValidationError(
                {"start": [serializers.ErrorDetail(message, code="range_too_long")]}
            )
        return {**data, "period": Period(start, end)}


def _period(request, serializer_class=RangeSerializer) -> dict:
    serializer = serializer_class(data=request.query_params, context={"tenant": request.tenant})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Google Ads numbers belong to the plans with campaigns: other plans' answers leave them out.
ADS_METRICS = frozenset({"ad_impressions", "ad_clicks", "ad_cost", "conversions", "cost_per_conversion"})


def _ads_allowed(tenant) -> bool:
    return plan_allows(tenant=tenant, feature="campaigns")


def _without_ads(value):
    """`value` (a summary's nested dicts and lists) with every Ads metric and the Ads score left out."""
    if isinstance(value, dict):
        return {k: _without_ads(v) for k, v in value.items() if k not in ADS_METRICS and k != "ads"}
    if isinstance(value, list):
        return [_without_ads(v) for v in value]
    return value


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class ComparisonSerializer(serializers.Serializer):
    current = PeriodSerializer()
    previous = PeriodSerializer()
    metrics = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Per metric: its value now and before, and the change (Ads metrics only on plans with "
        "campaigns).",
    )


class ScoresSerializer(serializers.Serializer):
    week = serializers.DateField(allow_null=True)
    areas = serializers.DictField(child=serializers.JSONField(), help_text="Per area: score and reasons.")


class SummarySerializer(serializers.Serializer):
    week = ComparisonSerializer(required=False, help_text="Without start/end: the last 7 complete days.")
    month = ComparisonSerializer(required=False, help_text="Without start/end: the last 28 complete days.")
    range = ComparisonSerializer(required=False, help_text="With start and/or end: that range.")
    scores = ScoresSerializer()
    movers = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="Queries that gained and lost most clicks, rose and fell most in position.",
    )


class SummaryApi(APIView):
    """Week over week and 28 days over 28 days (default), or a chosen range against the same number
    of days before it; the latest weekly scores; the biggest movers among queries."""

    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["metrics"],
        parameters=[RangeSerializer],
        responses={200: SummarySerializer, **errors(400)},
    )
    def get(self, request):
        ranged = "start" in request.query_params or "end" in request.query_params
        period = _period(request)["period"] if ranged else None
        return Response(summary_body(tenant=request.tenant, period=period))


def summary_body(*, tenant, period: Period | None = None) -> dict:
    """The summary (this API and the MCP tool get_dashboard): week over week and 28 days over 28
    days, or `period` against the same number of days before it; the latest scores; the biggest
    movers among queries. Ads numbers only on plans with campaigns."""
    if period is not None:
        body = {"range": period_over_period(tenant=tenant, periods=[period])[0]}
    else:
        body = metrics_summary(tenant=tenant)
    latest = Score.objects.order_by("-week").values_list("week", flat=True).first()
    body["scores"] = {
        "week": latest,
        "areas": {
            s.area: {"score": s.score, "reasons": s.reasons} for s in Score.objects.filter(week=latest)
        },
    }
    body["movers"] = biggest_movers(
        tenant=tenant, dimension="query", current=last_complete(tenant=tenant, days=7)
    )
    return body if _ads_allowed(tenant) else _without_ads(body)


class SeriesSerializer(RangeSerializer):
    metric = serializers.ChoiceField(choices=SERIES_METRICS)


class PointSerializer(serializers.Serializer):
    day = serializers.DateField()
    value = serializers.FloatField(allow_null=True, help_text="None: no data that day (rates).")


class SeriesResponseSerializer(serializers.Serializer):
    metric = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    points = PointSerializer(many=True)


class SeriesApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(
        tags=["metrics"],
        parameters=[SeriesSerializer],
        responses={200: SeriesResponseSerializer, **errors(400)},
    )
    def get(self, request):
        data = _period(request, SeriesSerializer)
        period = data["period"]
        if data["metric"] in ADS_METRICS and not _ads_allowed(request.tenant):
            raise NotAllowed(
                "Ads numbers come with the SEO + Ads and Full plans.",
                code=BillingErrorCode.PLAN_UPGRADE_REQUIRED,
            )
        return Response(
            {
                "metric": data["metric"],
                **period.as_dict(),
                "points": metric_series(tenant=request.tenant, metric=data["metric"], period=period),
            }
        )


class TableSerializer(RangeSerializer):
    order = serializers.ChoiceField(choices=list(ORDERINGS), required=False, default="clicks")
    page = serializers.IntegerField(min_value=1, max_value=10_000, required=False, default=1)


def _table_response(name: str):
    return inline_serializer(
        name=name,
        fields={
            "start": serializers.DateField(),
            "end": serializers.DateField(),
            "previous": PeriodSerializer(),
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "results": serializers.ListField(
                child=serializers.DictField(child=serializers.JSONField()),
                help_text="Clicks, impressions, CTR and position now and before, and the change.",
            ),
        },
    )


class _SearchTableApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    dimension = ""

    def get(self, request):
        data = _period(request, TableSerializer)
        period = data["period"]
        total, rows = search_dimension_table(
            dimension=self.dimension,
            period=period,
            order=data["order"],
            limit=PAGE_SIZE,
            offset=(data["page"] - 1) * PAGE_SIZE,
        )
        return Response(
            {
                **period.as_dict(),
                "previous": period.before().as_dict(),
                "count": total,
                "page": data["page"],
                "results": rows,
            }
        )


@extend_schema(
    tags=["seo"],
    parameters=[TableSerializer],
    responses={200: _table_response("SearchQueryTable"), **errors(400)},
)
class QueriesApi(_SearchTableApi):
    dimension = "query"


@extend_schema(
    tags=["seo"],
    parameters=[TableSerializer],
    responses={200: _table_response("SearchPageTable"), **errors(400)},
)
class PagesApi(_SearchTableApi):
    dimension = "page"


class IngestionRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = IngestionRun
        fields = [
            "id", "connector", "window_start", "window_end", "trigger", "status", "created", "started",
            "finished", "rows", "attempts", "error",
        ]  # fmt: skip


class RunPagination(PageNumberPagination):
    page_size = PAGE_SIZE


class IngestionRunsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]
    pagination_class = RunPagination

    @extend_schema(
        tags=["ingestion"],
        parameters=[
            OpenApiParameter(
                "connector", str, description="Only this connector's runs (gsc, ga4, ads, demo)."
            )
        ],
        responses={200: IngestionRunSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        runs = IngestionRun.objects.all()
        connector = text_param(request, "connector")
        if connector:
            runs = runs.filter(connector=connector)
        paginator = RunPagination()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(IngestionRunSerializer(page, many=True).data)
