"""Campaigns (/api/v1/campaigns/) and the seasonal calendar (/api/v1/calendar/): members signed in
and the tenant's API keys read; owners signed in and API keys write (as on the pages, where members
only read). Thin adapters over marketing.seasons (reads) and marketing.services
(writes); errors in inkwell/errors.py's shape.

Campaigns come with the plans that have them: billing.gating answers 403 `plan_upgrade_required` for
the whole /api/v1/campaigns/ area on other plans, and the owner's toggle (feature_campaigns) 404.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from inkwell.api_inputs import StrictInputMixin
from inkwell.openapi import errors
from marketing.api_metrics import RangeSerializer, _period
from marketing.models import Campaign, SeasonalEvent
from marketing.seasons import campaign_list, seasonal_calendar
from marketing.services.calendar import seasonal_event_create, seasonal_event_delete, seasonal_event_update
from marketing.services.campaigns import campaign_create, campaign_delete, campaign_update
from tenants.permissions import IsTenantMemberOrApiKey, IsTenantMemberOrApiKeyOwnerOrKeyWrites

MAX_BUDGET = 10**10 - 1  # fits the column: 12 digits, 2 after the point


class CampaignInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    budget = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, max_value=MAX_BUDGET, required=False, allow_null=True
    )

    class Meta:
        model = Campaign
        fields = ["name", "channel", "budget", "start", "end", "notes"]
        ref_name = "CampaignInput"

    def validate_channel(self, value):
        if value == Campaign.Channel.GOOGLE_ADS:
            raise serializers.ValidationError(
                "Google Ads campaigns come from Google Ads itself; choose another channel.",
                code="channel_from_ads",
            )
        return value

    def validate(self, attrs):
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and start > end:
            raise serializers.ValidationError(
                {"end": [serializers.ErrorDetail("The end is before the start.", code="range_reversed")]}
            )
        return attrs


class CampaignSerializer(serializers.ModelSerializer):
    from_ads = serializers.SerializerMethodField(help_text="Synced from Google Ads: read-only here.")

    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "budget", "start", "end", "notes", "ads_campaign_id", "from_ads"]
        fields += ["created"]

    def get_from_ads(self, campaign) -> bool:
        return bool(campaign.ads_campaign_id)


class CampaignResultSerializer(serializers.Serializer):
    """A campaign with its Google Ads results over the range asked for (zeros for one entered by hand)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices)
    budget = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)
    from_ads = serializers.BooleanField()
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=20, decimal_places=2)
    conversions = serializers.DecimalField(max_digits=16, decimal_places=2)
    cost_per_conversion = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)


class CampaignPagination(PageNumberPagination):
    page_size = 50


class CampaignListQuerySerializer(RangeSerializer):
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices, required=False)


class CampaignsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerOrKeyWrites]
    pagination_class = CampaignPagination

    @extend_schema(
        operation_id="campaigns_list",
        tags=["campaigns"],
        parameters=[CampaignListQuerySerializer],
        responses={200: CampaignResultSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        query = _period(request, CampaignListQuerySerializer)
        from_ads = set(Campaign.objects.exclude(ads_campaign_id="").values_list("pk", flat=True))
        rows = [
            {**row, "from_ads": row["id"] in from_ads}
            for row in campaign_list(period=query["period"])
            if "channel" not in query or row["channel"] == query["channel"]
        ]
        paginator = CampaignPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(CampaignResultSerializer(page, many=True).data)

    @extend_schema(
        operation_id="campaigns_create",
        tags=["campaigns"],
        request=CampaignInputSerializer,
        responses={201: CampaignSerializer, **errors(400)},
    )
    def post(self, request):
        serializer = CampaignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = campaign_create(**{"channel": Campaign.Channel.OTHER, **serializer.validated_data})
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)


class CampaignApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerOrKeyWrites]

    @extend_schema(tags=["campaigns"], responses={200: CampaignSerializer, **errors()})
    def get(self, request, pk):
        return Response(CampaignSerializer(get_object_or_404(Campaign, pk=pk)).data)

    @extend_schema(
        tags=["campaigns"],
        request=CampaignInputSerializer,
        responses={200: CampaignSerializer, **errors(400, 409)},
    )
    def patch(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        serializer = CampaignInputSerializer(campaign, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        campaign = campaign_update(campaign=campaign, data=serializer.validated_data)
        return Response(CampaignSerializer(campaign).data)

    @extend_schema(
        tags=["campaigns"], responses={204: OpenApiResponse(description="Deleted."), **errors(409)}
    )
    def delete(self, request, pk):
        campaign_delete(campaign=get_object_or_404(Campaign, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- The seasonal calendar ------------------------------------------------------------------------


class SeasonalEventSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A recurring season: month/day bounds that repeat every year (an end before the start wraps
    over New Year)."""

    start_month = serializers.IntegerField(min_value=1, max_value=12)
    start_day = serializers.IntegerField(min_value=1, max_value=31)
    end_month = serializers.IntegerField(min_value=1, max_value=12)
    end_day = serializers.IntegerField(min_value=1, max_value=31)

    class Meta:
        model = SeasonalEvent
        fields = ["id", "name", "start_month", "start_day", "end_month", "end_day", "notes"]
        read_only_fields = ["id"]
        # The service checks the name is free (and says so under `name`), like every other rule.
        validators = []
        extra_kwargs = {"name": {"validators": []}}


class DemandSerializer(serializers.Serializer):
    month = serializers.IntegerField()
    impressions_per_day = serializers.FloatField(allow_null=True)
    index = serializers.FloatField(allow_null=True, help_text="100 = an average month.")


class WindowSerializer(serializers.Serializer):
    start_month = serializers.IntegerField()
    end_month = serializers.IntegerField()
    months = serializers.ListField(child=serializers.IntegerField())


class CalendarSerializer(serializers.Serializer):
    events = SeasonalEventSerializer(many=True)
    demand = DemandSerializer(many=True, help_text="Search demand per calendar month, last two years.")
    recommended_windows = WindowSerializer(many=True, help_text="When to run campaigns.")


class CalendarApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    @extend_schema(tags=["calendar"], responses={200: CalendarSerializer, **errors()})
    def get(self, request):
        return Response(CalendarSerializer(seasonal_calendar(tenant=request.tenant)).data)


class EventPagination(PageNumberPagination):
    page_size = 100


class SeasonalEventsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerOrKeyWrites]
    pagination_class = EventPagination

    @extend_schema(
        operation_id="calendar_events_list",
        tags=["calendar"],
        parameters=[OpenApiParameter("month", int, description="Only events that touch this month (1–12).")],
        responses={200: SeasonalEventSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        events = SeasonalEvent.objects.all()
        month = request.query_params.get("month")
        if month is not None:
            field = serializers.IntegerField(min_value=1, max_value=12)
            try:
                month = field.run_validation(month)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"month": exc.detail}) from None
            events = [e for e in events if _touches(e, month)]
        paginator = EventPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(SeasonalEventSerializer(page, many=True).data)

    @extend_schema(
        operation_id="calendar_events_create",
        tags=["calendar"],
        request=SeasonalEventSerializer,
        responses={201: SeasonalEventSerializer, **errors(400)},
    )
    def post(self, request):
        serializer = SeasonalEventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = seasonal_event_create(data=serializer.validated_data)
        return Response(SeasonalEventSerializer(event).data, status=status.HTTP_201_CREATED)


def _touches(event: SeasonalEvent, month: int) -> bool:
    """Whether the event's days include some of `month` (events that end before they start wrap)."""
    if event.start_month <= event.end_month:
        return event.start_month <= month <= event.end_month
    return month >= event.start_month or month <= event.end_month


class SeasonalEventApi(APIView):
    permission_classes = [IsTenantMemberOrApiKeyOwnerOrKeyWrites]

    @extend_schema(tags=["calendar"], responses={200: SeasonalEventSerializer, **errors()})
    def get(self, request, pk):
        return Response(SeasonalEventSerializer(get_object_or_404(SeasonalEvent, pk=pk)).data)

    @extend_schema(
        tags=["calendar"],
        request=SeasonalEventSerializer,
        responses={200: SeasonalEventSerializer, **errors(400)},
    )
    def patch(self, request, pk):
        event = get_object_or_404(SeasonalEvent, pk=pk)
        serializer = SeasonalEventSerializer(event, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(
            SeasonalEventSerializer(seasonal_event_update(event=event, data=serializer.validated_data)).data
        )

    @extend_schema(tags=["calendar"], responses={204: OpenApiResponse(description="Deleted."), **errors()})
    def delete(self, request, pk):
        seasonal_event_delete(event=get_object_or_404(SeasonalEvent, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
