"""The contract status machine: the allowed moves, applied under a row lock, each one audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contracts.error_codes import ContractErrorCode
from contracts.models import Contract
from contracts.services.events import Actor, contract_event_record
from inkwell.errors import Conflict

S = Contract.Status
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENT, S.VOIDED}),
    # "sent" → "sent" is a resend (a new link); expired contracts can be sent again.
    S.SENT: frozenset({S.SENT, S.VIEWED, S.SIGNED, S.EXPIRED, S.VOIDED}),
    S.VIEWED: frozenset({S.SENT, S.SIGNED, S.EXPIRED, S.VOIDED}),
    S.SIGNED: frozenset({S.SEALED, S.SEAL_FAILED}),
    S.SEAL_FAILED: frozenset({S.SEALED, S.SEAL_FAILED}),
    S.SEALED: frozenset(),
    S.EXPIRED: frozenset({S.SENT, S.VOIDED}),
    S.VOIDED: frozenset(),
}
# The timestamp each status sets the first time it is reached.
_STAMPS = {S.SENT: "sent_at", S.VIEWED: "viewed_at", S.SIGNED: "signed_at", S.SEALED: "sealed_at"}


def contract_lock(contract_id: int) -> Contract:
    """The contract row, locked until the end of the caller's transaction."""
    return Contract.objects.select_for_update().get(pk=contract_id)


def contract_transition(
    *, contract: Contract, to: str, actor: Actor, event: str | None = None, data: dict | None = None
) -> Contract:
    """Move `contract` to status `to` and record the event (named `event`, default the status).

    Must run inside the caller's transaction on a row the caller locked with `contract_lock`.
    Raises Conflict (409, code illegal_transition) for a move the table does not allow.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("contract_transition must run inside a transaction, on a locked row.")
    if to not in ALLOWED_TRANSITIONS[contract.status]:
        raise Conflict(
            f"Contract {contract.reference} is {contract.get_status_display().lower()}; "
            f"it cannot become {S(to).label.lower()}.",
            code=ContractErrorCode.ILLEGAL_TRANSITION,
        )
    previous = contract.status
    contract.status = to
    fields = ["status", "updated"]
    stamp = _STAMPS.get(to)
    if stamp and getattr(contract, stamp) is None:
        setattr(contract, stamp, timezone.now())
        fields.append(stamp)
    contract.save(update_fields=fields)
    data = {"from": previous, "to": to, **(data or {})}
    contract_event_record(contract=contract, kind=event or to, actor=actor, data=data)
    return contract
