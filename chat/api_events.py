"""The event stream over the API (`GET /api/v1/events/?cursor=&limit=`): members and this tenant's API
keys follow the tenant's domain events with a cursor. Part of agent access, so the plan must include
"agents" (403 `plan_upgrade_required`) and the tenant's agent-access toggle must be on (404, as a
switched-off area). A thin adapter over chat.selectors_events.events_read."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.error_codes import BillingErrorCode
from billing.plans import FEATURE_LABELS, cheapest_plan_with, plan_allows
from chat.selectors_events import MAX_LIMIT, events_read
from chat.services.events import EVENT_TYPES
from inkwell.errors import DomainError, NotAllowed
from inkwell.openapi import ErrorSerializer, errors
from tenants.permissions import IsTenantMemberOrApiKey

FEATURE = "agents"
DEFAULT_LIMIT = 100


class EventSerializer(serializers.Serializer):
    cursor = serializers.CharField(
        help_text="This event's place in the stream; pass it to read what came after."
    )
    id = serializers.IntegerField(help_text="The event's own number (unique per tenant; not its order).")
    type = serializers.ChoiceField(choices=sorted(EVENT_TYPES))
    data = serializers.DictField(help_text='Ids and labels of what it is about, e.g. {"lead": 12}.')
    actor = serializers.CharField(
        help_text="Who caused it: an API key, an agent, a member's email, or a kind."
    )
    created = serializers.DateTimeField(
        help_text="When the change was made (not when it reached the stream)."
    )

    class Meta:
        ref_name = "DomainEvent"


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text="Oldest first.")
    next_cursor = serializers.CharField(
        allow_null=True,
        help_text="Pass as `cursor` next time: the last event's, or the one given when nothing was new "
        "(null: no cursor was given and the stream is empty).",
    )


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise DomainError(f"limit must be a whole number from 1 to {MAX_LIMIT}.", code="invalid_limit")
    return int(raw)


class EventsApi(APIView):
    permission_classes = [IsTenantMemberOrApiKey]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # who is asking first: strangers learn nothing of the plan
        tenant = request.tenant
        if not tenant.config.feature_agents:
            raise Http404("This area is switched off.")
        if not plan_allows(tenant=tenant, feature=FEATURE):
            plan = cheapest_plan_with(FEATURE)
            raise NotAllowed(
                f"{FEATURE_LABELS[FEATURE]} is not part of your plan."
                + (f" Upgrade to {plan.name} to use it." if plan else ""),
                code=BillingErrorCode.PLAN_UPGRADE_REQUIRED,
            )

    @extend_schema(
        operation_id="events_read",
        tags=["events"],
        parameters=[
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                description="The `next_cursor` (or an event's `cursor`) from the last read; leave out to "
                "start from the oldest event kept. Events strictly after it are returned, each once.",
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description=f"At most this many events (1–{MAX_LIMIT}, default {DEFAULT_LIMIT}).",
            ),
        ],
        responses={
            200: EventPageSerializer,
            **errors(400),
            503: OpenApiResponse(
                ErrorSerializer,
                description="The event stream can't be reached (`events_unavailable`); try again later.",
            ),
        },
    )
    def get(self, request):
        cursor = request.query_params.get("cursor") or None
        events, next_cursor = events_read(cursor=cursor, limit=_limit(request.query_params.get("limit")))
        return Response({"events": events, "next_cursor": next_cursor})
