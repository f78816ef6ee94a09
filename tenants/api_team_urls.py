"""/api/v1/team/: the people of the business."""

from django.urls import path

from tenants import api_team as api

urlpatterns = [
    path("", api.TeamApi.as_view(), name="api_team"),
    path("<int:pk>/", api.TeamMemberApi.as_view(), name="api_team_member"),
]
