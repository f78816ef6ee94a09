from django.urls import path

from billing import views_tenant

urlpatterns = [
    path("", views_tenant.billing_home, name="billing_home"),
    path("portal/", views_tenant.billing_portal, name="billing_portal"),
    path("test-portal/", views_tenant.billing_test_portal, name="billing_test_portal"),
]
