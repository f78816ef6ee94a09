"""/api/v1/leads/ (no feature toggle: leads are always on; see tenants/features.py)."""

from django.urls import path

from marketing import api

urlpatterns = [
    path("", api.LeadsApi.as_view(), name="api_leads"),
    path("<int:pk>/", api.LeadApi.as_view(), name="api_lead"),
    path("<int:pk>/status/", api.LeadStatusApi.as_view(), name="api_lead_status"),
]
