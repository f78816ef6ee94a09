from django.urls import path

from dashboard import views

urlpatterns = [
    path("", views.overview, name="dashboard"),
    path("settings/", views.settings_view, name="dashboard_settings"),
]
