"""URLs of every tenant host (<subdomain>.<domain>)."""

from django.urls import include, path, re_path

from inkwell import views
from tenants import views as tenant_views

urlpatterns = [
    path("", tenant_views.site_home, name="site_home"),
    path("theme.css", tenant_views.theme_css, name="theme_css"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sign-in/", include("tenants.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("api/v1/", include("dashboard.api_urls")),
    path("contracts/", include("contracts.urls")),
    re_path(r"^media/(?P<path>.+)$", tenant_views.media, name="media"),
]

handler404 = "inkwell.views.not_found"
