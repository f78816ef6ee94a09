"""/agents/approvals/: the approvals queue (area "agents": the plan and the owner's toggle apply)."""

from django.urls import path

from chat import views_approvals as views

urlpatterns = [
    path("", views.approval_list_view, name="approval_list"),
    path("<int:pk>/", views.approval_detail_view, name="approval_detail"),
    path("<int:pk>/approve/", views.approval_approve_view, name="approval_approve"),
    path("<int:pk>/reject/", views.approval_reject_view, name="approval_reject"),
]
