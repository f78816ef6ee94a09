"""/api/v1/agents/approvals/: the approvals queue (area "agents": the toggle and the plan gate apply)."""

from django.urls import path

from chat import api_approvals

urlpatterns = [
    path("", api_approvals.ApprovalsApi.as_view(), name="api_approvals"),
    path("<int:pk>/", api_approvals.ApprovalApi.as_view(), name="api_approval"),
    path("<int:pk>/approve/", api_approvals.ApprovalApproveApi.as_view(), name="api_approval_approve"),
    path("<int:pk>/reject/", api_approvals.ApprovalRejectApi.as_view(), name="api_approval_reject"),
]
