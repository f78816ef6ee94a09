"""The contract audit trail: one append-only ContractEvent per thing that happened to a contract."""

from __future__ import annotations

from contracts.models import Contract, ContractEvent
from tenants.models import User

Actor = ContractEvent.Actor


def contract_event_record(
    *,
    contract: Contract,
    kind: str,
    actor_type: str,
    actor: User | None = None,
    actor_label: str = "",
    ip: str | None = None,
    user_agent: str = "",
    data: dict | None = None,
) -> ContractEvent:
    """Record that `kind` (e.g. "sent", "viewed", "milestone") happened to `contract`.

    Call it inside the write's own transaction, so the event exists exactly when the change does.
    `actor_label` names a non-person actor (an API key's label); `data` never holds secrets.
    """
    if actor is not None and not actor_label:
        actor_label = actor.email
    return ContractEvent.objects.create(
        contract=contract,
        kind=kind,
        actor_type=actor_type,
        actor=actor,
        actor_label=actor_label,
        ip=ip,
        user_agent=(user_agent or "")[:500],
        data=data or {},
    )
