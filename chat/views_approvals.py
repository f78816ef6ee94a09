"""The owner's approvals queue (/agents/approvals/): what agents proposed and wait for a yes or no
(the agent's name, what it would change, a readable diff, when it expires) and below it what was
decided (who, when, how, the result). Members read it; owners approve or reject (POST; htmx swaps
the one proposal, and without JavaScript the form posts and the page comes back)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chat.selectors_approvals import approval_detail, approvals_decided, approvals_pending
from chat.services.approvals import approval_approve, approval_reject
from dashboard.rendering import render_dashboard
from inkwell.errors import Conflict
from tenants.models import Membership
from tenants.permissions import member_required

DECIDED_PAGE_SIZE = 20
DONE = {"approve": "Approved and applied.", "reject": "Rejected: nothing was changed."}


def _list(request, *, notice: str = "", error: str = "", status: int = 200):
    decided = Paginator(approvals_decided(), DECIDED_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"pending": list(approvals_pending()), "decided": decided, "notice": notice, "error": error}
    return render_dashboard(request, "chat/approvals.html", context, status=status)


@member_required
def approval_list_view(request):
    return _list(request)


@member_required
def approval_detail_view(request, pk):
    context = {"approval": approval_detail(pk=pk), "single": True}
    return render_dashboard(request, "chat/approval_detail.html", context)


def _decide(request, pk, action: str):
    decide = approval_approve if action == "approve" else approval_reject
    notice = error = ""
    try:
        decide(approval_id=pk, user=request.user, via="dashboard")
        notice = DONE[action]
    except Conflict as exc:  # expired, decided already, or no longer applicable: recorded, shown
        error = exc.message
    if request.htmx:
        # The proposal alone, in its new state, with what happened (htmx swaps 2xx answers only).
        context = {"approval": approval_detail(pk=pk), "card_notice": notice, "card_error": error}
        return render(request, "chat/approvals.html#approval", context)
    if error:
        return _list(request, error=error, status=409)
    messages.success(request, notice)
    return redirect("approval_list")


@require_POST
@member_required(role=Membership.Role.OWNER)
def approval_approve_view(request, pk):
    return _decide(request, pk, "approve")


@require_POST
@member_required(role=Membership.Role.OWNER)
def approval_reject_view(request, pk):
    return _decide(request, pk, "reject")
