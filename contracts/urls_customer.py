"""The customer's pages, under /c/<token>/ on the tenant's host."""

from django.urls import path

from contracts import views_customer as views

urlpatterns = [
    path("<str:token>/", views.contract_page, name="customer_contract"),
    path("<str:token>/sign/", views.contract_sign_view, name="customer_contract_sign"),
    path("<str:token>/code/", views.code_send_view, name="customer_code_send"),
    path("<str:token>/code/verify/", views.code_verify_view, name="customer_code_verify"),
    path("<str:token>/contract.pdf", views.sealed_pdf, name="customer_contract_pdf"),
]
