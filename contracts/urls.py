"""Owner pages under /contracts/ (gated by the tenant's feature_contracts)."""

from django.urls import path

from contracts import views, views_verify

urlpatterns = [
    # owner list, create, detail, resend, void, sealed PDF
    path("", views.contract_list_view, name="contract_list"),
    path("new/", views.contract_create_view, name="contract_create"),
    path("<int:pk>/", views.contract_detail_view, name="contract_detail"),
    path("<int:pk>/send/", views.contract_send_view, name="contract_send"),
    path("<int:pk>/void/", views.contract_void_view, name="contract_void"),
    path("<int:pk>/sealed.pdf", views.contract_pdf_view, name="contract_pdf"),
    # verify an uploaded PDF
    path("verify/", views_verify.contract_verify_view, name="contract_verify"),
    path("settings/", views.contract_settings_view, name="contract_settings"),
]
