"""The nine tracking steps of a shipment after signing. Domestic moves have no port, vessel or customs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    index: int
    key: str
    label: str
    overseas_only: bool = False


STEPS: tuple[Step, ...] = (
    Step(0, "signed", "Contract Signed"),
    Step(1, "documents", "Documents Submitted"),
    Step(2, "pickup", "Vehicle Pickup"),
    Step(3, "port", "At Port/Warehouse", overseas_only=True),
    Step(4, "loaded", "Loaded on Vessel", overseas_only=True),
    Step(5, "transit", "In Transit"),
    Step(6, "arrived", "Arrived at Destination Port", overseas_only=True),
    Step(7, "customs", "Customs Clearance", overseas_only=True),
    Step(8, "delivered", "Delivered"),
)
DELIVERED = STEPS[-1].index


def steps_for(service_type: str) -> tuple[Step, ...]:
    """The steps a shipment of `service_type` goes through, in order."""
    if service_type == "domestic_moving":
        return tuple(step for step in STEPS if not step.overseas_only)
    return STEPS


def next_step(service_type: str, current: int | None) -> Step | None:
    """The one step that may follow `current` (None: not started), or None after delivery."""
    steps = steps_for(service_type)
    if current is None:
        return steps[0]
    later = [step for step in steps if step.index > current]
    return later[0] if later else None
