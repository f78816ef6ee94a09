"""URLs of the public host (INKWELL_PUBLIC_URL): marketing site, sign-up, staff admin, webhooks."""

from django.contrib import admin
from django.urls import path

from inkwell import views

urlpatterns = [
    path("", views.home, name="home"),
    path("pricing/", views.pricing, name="pricing"),
    path("admin/", admin.site.urls),
]

handler404 = "inkwell.views.not_found"
