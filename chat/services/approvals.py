"""The approvals queue: what an agent proposes without the scope to do it waits for an owner.

An approval's status moves by one table (TRANSITIONS), applied by `approval_transition` on a row
locked with `approval_lock`; every move is audited (tenants AuditEvent) with the agent's identity and
who decided. Anything else is refused with Conflict (409, code `illegal_approval_transition`).

Approving applies the change through the service a person's edit uses (page_publish for a page,
memory_update for a memory entry), in the same transaction as the status change, so a proposal is
approved exactly when its change is made.

A proposal that can no longer be applied as the owner read it (the page was edited or published
since, the entry's text changed, the target was deleted, the service refused it) is marked `failed`
and the owner gets a 409 with the reason's code (`changed_since_proposal`, `approval_target_gone`,
`approval_not_applicable`). It is not kept pending: page revision numbers only grow, so such a
proposal could never be approved again, and a dead "Approve" button would wait in the queue (and in
Telegram's /approve) for a week. The agent sees the failure and can propose the current text again.

Expiry: a proposal is live until its `expires_at` (created + APPROVAL_TTL_DAYS) inclusive, and
expired from the next instant on. Approving or rejecting checks the clock itself, so a proposal past
its time is never applied even if the hourly sweep (`approvals_expire`) has not run yet: the attempt
marks it expired and answers 409 `approval_expired`.
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from chat.models import Approval, MemoryEntry
from chat.services.events import event_emit
from inkwell.errors import Conflict, DomainError, NotAllowed
from tenants.models import Membership, Tenant, User
from tenants.services.agent_tokens import AgentIdentity
from tenants.services.audit import audit_record

S = Approval.Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.APPROVED, S.REJECTED, S.EXPIRED, S.FAILED}),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.FAILED: frozenset(),
}
VIAS = ("dashboard", "api", "telegram", "admin")


class ApprovalErrorCode(StrEnum):
    NOT_FOUND = "approval_not_found"
    ILLEGAL_TRANSITION = "illegal_approval_transition"
    EXPIRED = "approval_expired"
    CHANGED = "changed_since_proposal"
    TARGET_GONE = "approval_target_gone"
    NOT_APPLICABLE = "approval_not_applicable"
    OWNER_REQUIRED = "owner_required"


class ApprovalNotFound(DomainError):
    """No such approval in this tenant (also what another tenant's approval id gives)."""

    status_code = 404
    default_code = ApprovalErrorCode.NOT_FOUND


def _tenant() -> Tenant:
    """The tenant whose schema is current (a real row even when only the schema was set by name)."""
    tenant = connection.tenant
    if isinstance(tenant, Tenant):
        return tenant
    return Tenant.objects.get(schema_name=connection.schema_name)


# --- proposing -----------------------------------------------------------------------------------


@transaction.atomic
def approval_request(
    *, kind: str, agent: AgentIdentity, summary: str, payload: dict, preview: dict, target_ref: str = ""
) -> Approval:
    """Queue `agent`'s proposal (`payload` in the form the applying service takes) for the owner."""
    approval = Approval.objects.create(
        kind=kind,
        token_id=agent.token_id,
        agent_name=agent.name,
        summary=summary[:300],
        target_ref=target_ref,
        payload=payload,
        preview=preview,
        expires_at=timezone.now() + timedelta(days=settings.APPROVAL_TTL_DAYS),
    )
    event_emit(
        type="approval.requested",
        data={"approval": approval.pk, "kind": kind, "summary": approval.summary},
        actor_label=agent.label,
    )
    audit_record(
        actor=agent.label,
        action="approval.requested",
        tenant=_tenant(),
        data={**_about(approval), "summary": approval.summary},
    )
    return approval


def _diff(before: str, after: str) -> str:
    return "\n".join(
        difflib.unified_diff(before.splitlines(), after.splitlines(), "current", "proposed", lineterm="", n=2)
    )


def _latest_revision(page) -> int | None:
    return page.revisions.aggregate(last=Max("number"))["last"]


def _page_text(content) -> str:
    """What a visitor and a search engine get from a page (or revision), as text to compare."""
    if content is None:
        return ""
    head = [f"Title: {content.title}"]
    head += [f"SEO title: {content.seo_title}"] if content.seo_title else []
    head += [f"SEO description: {content.seo_description}"] if content.seo_description else []
    head += ["Hidden from search engines"] if content.noindex else []
    return "\n".join(head) + "\n\n" + content.body


def page_publish_propose(*, page, agent: AgentIdentity) -> Approval:
    """Ask the owner to publish `page`'s working copy as it is now (its latest revision number is
    kept: approving after the page changed again is refused, so the owner publishes what they read)."""
    live = page.published_revision
    before, after = _page_text(live), _page_text(page)
    return approval_request(
        kind=Approval.Kind.PAGE_PUBLISH,
        agent=agent,
        summary=f"Publish “{page.title}” at {page.path}",
        target_ref=f"page:{page.pk}",
        payload={"page": page.pk, "revision": _latest_revision(page)},
        preview={
            "title": page.title,
            "slug": page.slug,
            "path": page.path,
            "live": live is not None,
            "before": before,
            "after": after,
            "diff": _diff(before, after),
        },
    )


def _memory_text(title: str, text: str) -> str:
    return f"{title}\n{text}".strip()


def memory_change_propose(*, entry, title: str, text: str, agent: AgentIdentity) -> Approval:
    """Ask the owner to change a memory entry (an FAQ answer, a note) to `title` / `text` (its digest
    is kept: approving after the entry was changed by someone else is refused)."""
    before, after = _memory_text(entry.title, entry.text), _memory_text(title, text)
    return approval_request(
        kind=Approval.Kind.MEMORY_CHANGE,
        agent=agent,
        summary=f"Change “{(entry.title or entry.text)[:120]}”",
        target_ref=f"memory:{entry.pk}",
        payload={"entry": entry.pk, "title": title, "text": text, "digest": entry.digest},
        preview={"before": before, "after": after, "diff": _diff(before, after)},
    )


# --- the state machine ---------------------------------------------------------------------------


def approval_is_past(approval: Approval, now=None) -> bool:
    """Whether `approval`'s time is up (live until `expires_at` inclusive)."""
    return (now or timezone.now()) > approval.expires_at


def _about(approval: Approval) -> dict:
    """What every audit row of an approval names: the proposal and the agent that made it."""
    return {
        "approval": approval.pk,
        "kind": approval.kind,
        "target": approval.target_ref,
        "agent": approval.agent_name,
        "agent_token": approval.token_id,
    }


def approval_lock(approval_id) -> Approval:
    """The approval row, locked until the end of the caller's transaction."""
    try:
        return Approval.objects.select_for_update().get(pk=int(approval_id))
    except (Approval.DoesNotExist, TypeError, ValueError):
        raise ApprovalNotFound("There is no such proposal.") from None


def approval_transition(
    *, approval: Approval, to: str, user: User | None = None, via: str = "", result: dict | None = None
) -> Approval:
    """Move `approval` to `to`, stamp who decided (None: the platform, e.g. the expiry sweep) and
    audit it. Must run inside the caller's transaction on a row locked with `approval_lock`.
    Raises Conflict (409, code illegal_approval_transition) for a move the table does not allow."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("approval_transition must run inside a transaction, on a locked row.")
    if to not in TRANSITIONS[approval.status]:
        raise Conflict(
            f"This proposal is already {S(approval.status).label.lower()}; it cannot be "
            f"{'approved' if to == S.APPROVED else S(to).label.lower()} now.",
            code=ApprovalErrorCode.ILLEGAL_TRANSITION,
        )
    previous = approval.status
    approval.status = to
    approval.decided_at = timezone.now()
    approval.decided_by = user
    approval.decided_by_label = user.email if user else "system"
    approval.decided_via = via or "expiry"  # no person and no way named: the expiry sweep
    approval.result = result or {}
    approval.save(
        update_fields=["status", "decided_at", "decided_by", "decided_by_label", "decided_via", "result"]
    )
    audit_record(
        actor=user,
        action=f"approval.{to}",
        tenant=_tenant(),
        data={**_about(approval), "from": previous, "via": approval.decided_via, "result": approval.result},
    )
    return approval


def _decider_check(user: User, via: str) -> None:
    """Only an owner of this tenant decides; staff may, from the back office."""
    if via not in VIAS:
        raise ValueError(f"Unknown way of deciding {via!r}; one of {', '.join(VIAS)}.")
    if via == "admin" and user.is_staff:
        return
    is_owner = Membership.objects.filter(user=user, tenant=_tenant(), role=Membership.Role.OWNER).exists()
    if not (user.is_active and is_owner):
        raise NotAllowed(
            "Only an owner of this business can approve or reject an agent's proposal.",
            code=ApprovalErrorCode.OWNER_REQUIRED,
        )


def _refusal(exc: Exception) -> dict:
    if isinstance(exc, DomainError):
        return {"code": str(exc.code), "message": exc.message}
    return {"code": ApprovalErrorCode.NOT_APPLICABLE, "message": " ".join(exc.messages)}


def _decide(*, approval_id, user: User, via: str, to: str) -> Approval:
    """Approve (apply) or reject a pending approval; see the module's docstring for what is refused."""
    _decider_check(user, via)
    refused: Conflict | None = None
    with transaction.atomic():
        approval = approval_lock(approval_id)
        if approval.status == S.PENDING and approval_is_past(approval):
            approval_transition(approval=approval, to=S.EXPIRED, result={"code": ApprovalErrorCode.EXPIRED})
            refused = Conflict(
                "This proposal expired before it was decided; nothing was changed. The agent can "
                "propose it again.",
                code=ApprovalErrorCode.EXPIRED,
            )
        elif to == S.REJECTED or approval.status != S.PENDING:
            approval_transition(approval=approval, to=to, user=user, via=via)
        else:
            try:
                with transaction.atomic():  # a refused change leaves nothing half-made behind
                    result = APPLY[approval.kind](approval=approval, user=user, via=via)
            except (DomainError, ValidationError) as exc:
                failure = _refusal(exc)
                approval_transition(approval=approval, to=S.FAILED, user=user, via=via, result=failure)
                refused = Conflict(failure["message"], code=failure["code"])
            else:
                approval_transition(approval=approval, to=S.APPROVED, user=user, via=via, result=result)
    if refused is not None:  # raised after the commit: the expiry or failure is recorded
        raise refused
    return approval


def approval_approve(*, approval_id, user: User, via: str) -> Approval:
    """Apply a pending proposal through the service a person's edit uses, and mark it approved.
    `via`: "dashboard", "telegram" or "admin". Raises NotAllowed (not an owner), ApprovalNotFound,
    Conflict: illegal_approval_transition (already decided), approval_expired (its time is up; it is
    marked expired), changed_since_proposal / approval_target_gone / approval_not_applicable (it
    cannot be applied as proposed; it is marked failed, nothing is changed)."""
    return _decide(approval_id=approval_id, user=user, via=via, to=S.APPROVED)


def approval_reject(*, approval_id, user: User, via: str) -> Approval:
    """Refuse a pending proposal: nothing is changed. Same refusals as approval_approve, but for the
    ones about applying."""
    return _decide(approval_id=approval_id, user=user, via=via, to=S.REJECTED)


def approvals_expire() -> int:
    """Mark the current schema's pending proposals whose time is up as expired (the hourly sweep).
    Returns how many. Rows another transaction is deciding right now are skipped (SKIP LOCKED): that
    decision sees the clock itself."""
    now = timezone.now()
    expired = 0
    with transaction.atomic():
        due = Approval.objects.filter(status=S.PENDING, expires_at__lt=now).select_for_update(
            skip_locked=True
        )
        for approval in due.order_by("pk"):
            approval_transition(approval=approval, to=S.EXPIRED, result={"code": ApprovalErrorCode.EXPIRED})
            expired += 1
    return expired


def approvals_withdraw_for_token(*, token_id: int) -> int:
    """Reject the current schema's pending proposals made with a token just revoked (by the platform,
    via "revoked"): an owner revokes a token because they no longer trust the agent, so nothing it
    proposed should still be one click from going live. Returns how many."""
    withdrawn = 0
    with transaction.atomic():
        pending = Approval.objects.filter(status=S.PENDING, token_id=token_id).select_for_update()
        for approval in pending.order_by("pk"):
            approval_transition(
                approval=approval, to=S.REJECTED, via="revoked", result={"code": "token_revoked"}
            )
            withdrawn += 1
    return withdrawn


# --- applying, per kind --------------------------------------------------------------------------


def _changed(what: str) -> Conflict:
    return Conflict(
        f"The {what} changed after the agent proposed this, so it is not what you read; nothing was "
        "changed. Look at it again, or ask the agent to propose the current version.",
        code=ApprovalErrorCode.CHANGED,
    )


def _apply_page_publish(*, approval: Approval, user: User, via: str) -> dict:
    from contracts.models import ContractEvent
    from contracts.services.events import Actor
    from marketing.models import Page
    from marketing.services.pages import page_publish

    page = Page.objects.select_for_update().filter(pk=approval.payload.get("page")).first()
    if page is None:
        raise Conflict(
            "The page was deleted after the agent proposed this.", code=ApprovalErrorCode.TARGET_GONE
        )
    if _latest_revision(page) != approval.payload.get("revision"):
        raise _changed("page")
    kind = ContractEvent.Actor.STAFF if via == "admin" and user.is_staff else ContractEvent.Actor.OWNER
    # The revision names both: the owner who published and the agent whose text it is.
    label = f"{user.email}, approving agent {approval.agent_name}"[:254]
    revision = page_publish(page=page, actor=Actor(type=kind, user=user, label=label))
    return {"page": page.pk, "revision": revision.number, "path": page.path}


def _apply_memory_change(*, approval: Approval, user: User, via: str) -> dict:
    from chat.services.memory import memory_update

    entry = MemoryEntry.objects.select_for_update().filter(pk=approval.payload.get("entry")).first()
    if entry is None:
        raise Conflict(
            "The memory entry was deleted after the agent proposed this.", code=ApprovalErrorCode.TARGET_GONE
        )
    if entry.digest != approval.payload.get("digest"):
        raise _changed("memory entry")
    payload = approval.payload
    entry = memory_update(
        entry=entry, data={"title": payload.get("title", ""), "text": payload.get("text", "")}
    )
    return {"entry": entry.pk}


APPLY = {Approval.Kind.PAGE_PUBLISH: _apply_page_publish, Approval.Kind.MEMORY_CHANGE: _apply_memory_change}
