from django.urls import path

from tenants import views

urlpatterns = [
    path("", views.signin_link_request_view, name="signin"),
    path("link/<str:token>/", views.signin_link_view, name="signin_link"),
    path("code/", views.signin_code_request_view, name="signin_code"),
    path("code/verify/", views.signin_code_verify_view, name="signin_code_verify"),
    path("out/", views.signout_view, name="signout"),
    path("out/everywhere/", views.signout_everywhere_view, name="signout_everywhere"),
]
