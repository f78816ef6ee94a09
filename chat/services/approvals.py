"""The approvals queue: what an agent proposes without the scope to do it waits for an owner.

SKELETON: approval_request is the interface MCP tools call; the approvals work adds approving,
rejecting, applying, expiry and the owner's pages.
"""

from __future__ import annotations

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
