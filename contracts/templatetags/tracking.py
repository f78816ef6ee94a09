"""Template helpers for the tracking timeline."""

from django import template

from contracts.milestones import next_step, steps_for
from contracts.services.tracking import SIGNED_STATUSES, contract_timeline

register = template.Library()


@register.simple_tag
def milestone_choices(contract) -> dict:
    """What the milestone form offers for `contract`: the next step, the steps it can be corrected
    back to, and whether tracking has started (signed)."""
    signed = contract.status in SIGNED_STATUSES
    current = contract.milestone
    return {
        "signed": signed,
        "next": next_step(contract.service_type, current) if signed else None,
        "earlier": [s for s in steps_for(contract.service_type) if current is not None and s.index < current],
    }


@register.simple_tag
def timeline(contract) -> list:
    return contract_timeline(contract=contract)
