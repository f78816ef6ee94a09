"""Dashboard settings → Google (included under /dashboard/settings/google/ on tenant hosts)."""

from django.urls import path

from marketing import views_google

urlpatterns = [
    path("", views_google.google_settings_view, name="google_settings"),
    path("connect/", views_google.google_connect_view, name="google_connect"),
    path("callback/", views_google.google_callback_view, name="google_callback"),
    path("disconnect/", views_google.google_disconnect_view, name="google_disconnect"),
]
