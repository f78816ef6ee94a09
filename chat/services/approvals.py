"""The approvals queue: what an agent proposes without the scope to do it waits for an owner.

SKELETON: approval_request is the interface MCP tools call; the approvals work adds approving,
rejecting, applying, expiry and the owner's pages.
"""

from __future__ import annotations

import difflib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat.models import Approval
from chat.services.events import event_emit
from tenants.services.agent_tokens import AgentIdentity


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
    return approval


def _diff(before: str, after: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            before.splitlines(), after.splitlines(), "published", "proposed", lineterm="", n=2
        )
    )


def page_publish_propose(*, page, agent: AgentIdentity) -> Approval:
    """Ask the owner to publish `page`'s working copy as it is now (its latest revision number is
    kept: approving after the page changed again is refused, so the owner publishes what they read)."""
    live = page.published_revision
    latest = page.revisions.order_by("-number").values_list("number", flat=True).first()
    return approval_request(
        kind=Approval.Kind.PAGE_PUBLISH,
        agent=agent,
        summary=f"Publish “{page.title}” at /{page.slug}/",
        target_ref=f"page:{page.pk}",
        payload={"page": page.pk, "revision": latest},
        preview={
            "title": page.title,
            "slug": page.slug,
            "before": live.body if live else "",
            "after": page.body,
            "diff": _diff(live.body if live else "", page.body),
        },
    )


def memory_change_propose(*, entry, title: str, text: str, agent: AgentIdentity) -> Approval:
    """Ask the owner to change a memory entry (an FAQ answer, a note) to `title` / `text`."""
    return approval_request(
        kind=Approval.Kind.MEMORY_CHANGE,
        agent=agent,
        summary=f"Change “{(entry.title or entry.text)[:120]}”",
        target_ref=f"memory:{entry.pk}",
        payload={"entry": entry.pk, "title": title, "text": text, "digest": entry.digest},
        preview={
            "before": f"{entry.title}\n{entry.text}".strip(),
            "after": f"{title}\n{text}".strip(),
            "diff": _diff(f"{entry.title}\n{entry.text}".strip(), f"{title}\n{text}".strip()),
        },
    )
