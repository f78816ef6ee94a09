"""The contract audit trail: one append-only ContractEvent per thing that happened to a contract."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.models import Contract, ContractEvent
from tenants.models import User

Kind = ContractEvent.Actor


@dataclass(frozen=True)
class Actor:
    """Who did something to a contract, and from where. Every contract service takes one."""

    type: str  # a ContractEvent.Actor value
    user: User | None = None
    label: str = ""  # names a non-person actor (an API key's label); defaults to the user's email
    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(type=Kind.SYSTEM, label="system")

    @classmethod
    def from_request(cls, request, *, type: str) -> Actor:
        from inkwell.ratelimit import client_address

        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        return cls(
            type=type,
            user=user,
            ip=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


def contract_event_record(
    *, contract: Contract, kind: str, actor: Actor, data: dict | None = None
) -> ContractEvent:
    """Record that `kind` (e.g. "sent", "viewed", "milestone") happened to `contract`.

    Call it inside the write's own transaction, so the event exists exactly when the change does.
    `data` never holds secrets (no link tokens, no codes).
    """
    return ContractEvent.objects.create(
        contract=contract,
        kind=kind,
        actor_type=actor.type,
        actor=actor.user,
        actor_label=actor.label or (actor.user.email if actor.user else ""),
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:500],
        data=data or {},
    )
