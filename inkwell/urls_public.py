"""URLs of the public host (INKWELL_PUBLIC_URL): marketing site, sign-up, staff admin, webhooks."""

from django.contrib import admin
from django.urls import path, re_path

from inkwell import views
from tenants import views as tenant_views

urlpatterns = [
    path("", views.home, name="home"),
    path("pricing/", views.pricing, name="pricing"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("find-workspace/", views.workspace_find, name="workspace_find"),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.+)$", tenant_views.media, name="media"),
]

handler404 = "inkwell.views.not_found"
