from django.urls import path

from dashboard import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api_me"),
    path("config/", api.ConfigApi.as_view(), name="api_config"),
    path("dashboard/", api.OverviewApi.as_view(), name="api_dashboard"),
    path("site/", api.SiteInfoApi.as_view(), name="api_site"),
]
