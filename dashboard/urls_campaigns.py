"""/campaigns/: its own area, so the campaigns toggle and the plan gate cover it (tenants/features.py)."""

from django.urls import path

from dashboard import views_campaigns

urlpatterns = [
    path("", views_campaigns.campaigns, name="campaign_list"),
]
