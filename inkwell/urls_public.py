"""URLs of the public host (INKWELL_PUBLIC_URL): marketing site, sign-up, staff admin, webhooks."""

from django.contrib import admin
from django.urls import include, path, re_path

from billing import views as billing_views
from inkwell import views
from marketing import views_google
from tenants import views as tenant_views
from tenants import webhooks as tenant_webhooks

urlpatterns = [
    path("", views.home, name="home"),
    path("pricing/", billing_views.pricing, name="pricing"),
    # signup and Stripe (billing/views.py)
    path("signup/", billing_views.signup, name="signup"),
    path("signup/check/", billing_views.subdomain_check, name="signup_check"),
    path("signup/done/<str:token>/", billing_views.signup_done, name="signup_done"),
    path("signup/checkout/<str:token>/", billing_views.test_checkout, name="signup_test_checkout"),
    path("billing/stripe/webhook/", billing_views.stripe_webhook, name="stripe_webhook"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("find-workspace/", views.workspace_find, name="workspace_find"),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.+)$", tenant_views.media, name="media"),
    # Google's one OAuth redirect URI; forwards to the tenant host named by the signed state.
    path("oauth/google/callback/", views_google.google_oauth_relay, name="google_oauth_relay"),
    # Twilio's delivery reports and inbound SMS.
    path("webhooks/twilio/status/", tenant_webhooks.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound/", tenant_webhooks.twilio_inbound, name="twilio_inbound"),
    path("telegram/", include("chat.urls_telegram_public")),
]

handler404 = "inkwell.views.not_found"
