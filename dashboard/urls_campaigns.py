"""/campaigns/: its own area, so the campaigns toggle and the plan gate cover it (tenants/features.py)."""

from django.urls import path

from dashboard import views_campaigns

urlpatterns = [
    path("", views_campaigns.campaigns, name="campaign_list"),
    path("new/", views_campaigns.campaign_create_view, name="campaign_create"),
    path("<int:pk>/", views_campaigns.campaign_row_view, name="campaign_row"),
    path("<int:pk>/edit/", views_campaigns.campaign_edit_view, name="campaign_edit"),
    path("<int:pk>/delete/", views_campaigns.campaign_delete_view, name="campaign_delete"),
]
