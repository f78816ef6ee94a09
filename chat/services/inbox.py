"""The owner's side of conversations: reading, replying, and being told about a hand-over."""

from __future__ import annotations


def conversation_handover_notify(*, conversation_id: int) -> bool:
    """Text each owner with a phone that conversation `conversation_id` waits for them; once."""
    raise NotImplementedError  # the inbox helper writes this
