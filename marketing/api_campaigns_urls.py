"""/api/v1/campaigns/ (plan-gated and toggled as the campaigns area) and /api/v1/calendar/."""

from django.urls import path

from marketing import api_campaigns as api

campaigns_urlpatterns = [
    path("", api.CampaignsApi.as_view(), name="api_campaigns"),
    path("<int:pk>/", api.CampaignApi.as_view(), name="api_campaign"),
]
calendar_urlpatterns = [
    path("", api.CalendarApi.as_view(), name="api_calendar"),
    path("events/", api.SeasonalEventsApi.as_view(), name="api_calendar_events"),
    path("events/<int:pk>/", api.SeasonalEventApi.as_view(), name="api_calendar_event"),
]
