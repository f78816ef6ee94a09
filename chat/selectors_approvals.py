"""Reading the approvals queue (the owner's page, the API, Telegram's /approve).

A pending proposal whose time is up reads as expired at once, before the hourly sweep marks it so:
`state` (annotated) is the status as the owner should see it, and filters use it.
"""

from __future__ import annotations

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.utils import timezone

from chat.models import Approval
from chat.services.approvals import ApprovalNotFound

S = Approval.Status
DIFF_CLASSES = {"+": "diff-add", "-": "diff-del", "@": "diff-hunk", " ": "diff-same"}


def approvals_annotated(*, now=None) -> QuerySet[Approval]:
    """Every approval with `state`: its status, or "expired" for a pending one past its time."""
    return Approval.objects.annotate(
        state=Case(
            When(status=S.PENDING, expires_at__lt=now or timezone.now(), then=Value(S.EXPIRED)),
            default=F("status"),
            output_field=CharField(),
        )
    )


def approvals_pending() -> QuerySet[Approval]:
    """The proposals still waiting for an owner, the one expiring first first."""
    return approvals_annotated().filter(state=S.PENDING).order_by("expires_at", "pk")


def approvals_decided() -> QuerySet[Approval]:
    """Approved, rejected, failed and expired proposals, the newest first."""
    return approvals_annotated().exclude(state=S.PENDING).order_by("-created", "-pk")


def approval_list(*, status: str | None = None) -> QuerySet[Approval]:
    """All proposals (pending ones first, then the newest first), or those in `state` `status`."""
    approvals = approvals_annotated()
    if status:
        approvals = approvals.filter(state=status)
    pending_first = Case(When(state=S.PENDING, then=Value(0)), default=Value(1))
    return approvals.order_by(pending_first, "-created", "-pk")


def approval_detail(*, pk) -> Approval:
    """One proposal of this tenant; ApprovalNotFound (404) otherwise."""
    try:
        return approvals_annotated().get(pk=int(pk))
    except (Approval.DoesNotExist, TypeError, ValueError):
        raise ApprovalNotFound("There is no such proposal.") from None


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """A unified diff as (class, line) pairs to show: added, removed, unchanged lines and the hunk
    markers between them (the ---/+++ file header is left out)."""
    lines = (diff or "").splitlines()
    if len(lines) >= 2 and lines[0].startswith("--- ") and lines[1].startswith("+++ "):
        lines = lines[2:]  # a removed line "-- x" reads "--- x" too: only the first two are the header
    return [(DIFF_CLASSES.get(line[:1], "diff-same"), line) for line in lines]
