"""Owner pages under /leads/ (no feature toggle: leads are always on; see tenants/features.py)."""

from django.urls import path

from marketing import views

urlpatterns = [
    path("", views.lead_list_view, name="lead_list"),
    path("export.csv", views.lead_export_view, name="lead_export"),
    path("import/", views.lead_import_view, name="lead_import"),
    path("<int:pk>/", views.lead_detail_view, name="lead_detail"),
    path("<int:pk>/status/", views.lead_status_view, name="lead_status"),
    path("<int:pk>/contract/", views.lead_contract_view, name="lead_contract"),
]
