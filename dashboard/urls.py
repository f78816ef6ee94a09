from django.urls import path

from dashboard import views, views_calendar, views_seo

urlpatterns = [
    path("", views.overview, name="dashboard"),
    path("seo/", views_seo.seo, name="dashboard_seo"),
    path("seo/trend/", views_seo.seo_trend_view, name="dashboard_seo_trend"),
    path("calendar/", views_calendar.calendar, name="dashboard_calendar"),
    path("calendar/events/new/", views_calendar.event_create_view, name="seasonal_event_create"),
    path("calendar/events/<int:pk>/edit/", views_calendar.event_edit_view, name="seasonal_event_edit"),
    path("calendar/events/<int:pk>/delete/", views_calendar.event_delete_view, name="seasonal_event_delete"),
    path("settings/", views.settings_view, name="dashboard_settings"),
    path("settings/contrast/", views.contrast_view, name="settings_contrast"),
    path("settings/connectors/<str:connector>/run/", views.connector_run_now_view, name="connector_run_now"),
    path("settings/api-keys/", views.apikey_create_view, name="apikey_create"),
    path("settings/api-keys/<int:pk>/revoke/", views.apikey_revoke_view, name="apikey_revoke"),
    path("settings/team/invite/", views.team_invite_view, name="team_invite"),
    path("settings/team/<int:pk>/role/", views.team_role_view, name="team_role"),
    path("settings/team/<int:pk>/remove/", views.team_remove_view, name="team_remove"),
]
