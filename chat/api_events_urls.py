"""/api/v1/events/: the tenant's domain-event stream, read with a cursor (agent access)."""

from django.urls import path

from chat import api_events

urlpatterns = [path("", api_events.EventsApi.as_view(), name="api_events")]
