"""Showing a proposal: its diff as classed lines, its state's name."""

from __future__ import annotations

from django import template

from chat.models import Approval
from chat.selectors_approvals import diff_lines as _diff_lines

register = template.Library()


@register.filter
def diff_lines(diff: str) -> list[tuple[str, str]]:
    return _diff_lines(diff)


@register.filter
def state_label(state: str) -> str:
    try:
        return Approval.Status(state).label
    except ValueError:
        return state
