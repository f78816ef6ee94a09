"""Owner notifications in Telegram for new leads, signed contracts and chat hand-overs.

SKELETON: the Telegram work writes event_notify (per-link preferences, one message per event).
"""


def event_notify(*, event_id: int) -> int:
    return 0
