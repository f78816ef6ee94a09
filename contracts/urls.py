"""Owner pages of the contracts area (/contracts/...)."""

from django.urls import path

from contracts import views_verify

urlpatterns = [
    # c-seal: verify an uploaded PDF
    path("verify/", views_verify.contract_verify_view, name="contract_verify"),
]
