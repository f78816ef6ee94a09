"""The owner's Telegram page, under /agents/telegram/ (area "agents")."""

from django.urls import path

from chat import views_telegram as views

urlpatterns = [
    path("", views.telegram_settings_view, name="telegram_settings"),
    path("link/", views.telegram_link_code_view, name="telegram_link_code"),
    path("<int:pk>/preferences/", views.telegram_preferences_view, name="telegram_preferences"),
    path("<int:pk>/unlink/", views.telegram_unlink_view, name="telegram_unlink"),
]
