"""The shipment's tracking timeline as the customer sees it on their link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from contracts.milestones import steps_for
from contracts.models import Contract


@dataclass(frozen=True)
class TimelineEntry:
    label: str
    reached: bool
    current: bool
    at: datetime | None = None
    note: str = ""
    eta: date | None = None


def contract_timeline(contract: Contract) -> list[TimelineEntry]:
    """One entry per step of the contract's service. A step is reached up to the contract's current
    milestone (a correction back un-reaches later steps); its time, note and ETA come from the latest
    Milestone row for it. "Contract Signed" is reached by the signature itself."""
    latest = {}
    for row in contract.milestones.order_by("created", "pk"):
        latest[row.step] = row
    current = contract.milestone if contract.milestone is not None else 0
    entries = []
    for step in steps_for(contract.service_type):
        row = latest.get(step.index) if step.index <= current else None
        at = row.created if row else (contract.signed_at if step.index == 0 else None)
        entries.append(
            TimelineEntry(
                label=step.label,
                reached=step.index <= current,
                current=step.index == current,
                at=at,
                note=row.note if row else "",
                eta=row.eta if row else None,
            )
        )
    return entries
