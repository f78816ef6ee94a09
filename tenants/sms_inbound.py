"""Inbound SMS: a small dispatcher. Each handler is offered the message in turn and claims it by
returning a reply (text, or "" for no reply); None passes it on.

Opt-out keywords come first and can't be claimed by anyone else (carriers require STOP to work
whatever else is going on); later features register their own handler, e.g. the daily questionnaire
claiming replies from numbers it asked a question:

    from tenants.sms_inbound import inbound_handler

    @inbound_handler(order=50)
    def questionnaire_reply(message): ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tenants.services.sms import sms_opt_in, sms_opt_out


@dataclass(frozen=True)
class InboundSms:
    sender: str  # E.164, as the provider gives it
    body: str
    provider_id: str = ""

    @property
    def keyword(self) -> str:
        return self.body.strip().upper()


Handler = Callable[[InboundSms], str | None]
_handlers: list[tuple[int, Handler]] = []

# Twilio's default opt-out and opt-in keywords (Advanced Opt-Out uses the same lists).
STOP_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_KEYWORDS = frozenset({"START", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

HELP_REPLY = (
    "Inkwell sends messages for the businesses you deal with (contracts, shipment updates). "
    "Reply STOP to stop all texts, START to receive them again. Email continues either way."
)
START_REPLY = "You will receive texts again. Reply STOP to stop."


def inbound_handler(func: Handler | None = None, *, order: int = 100):
    """Register `func` (lower `order` is asked first; the built-ins use 0–10)."""

    def register(handler: Handler) -> Handler:
        _handlers.append((order, handler))
        _handlers.sort(key=lambda item: item[0])
        return handler

    return register(func) if func else register


def sms_inbound_dispatch(message: InboundSms) -> str:
    """The reply to `message` ("" for none) from the first handler that claims it."""
    if not message.sender:
        return ""
    for _, handler in _handlers:
        reply = handler(message)
        if reply is not None:
            return reply
    return ""


@inbound_handler(order=0)
def _opt_out(message: InboundSms) -> str | None:
    if message.keyword not in STOP_KEYWORDS:
        return None
    sms_opt_out(phone=message.sender, keyword=message.keyword)
    # No reply: the carrier/Twilio confirms an opt-out itself and blocks any further text to the number.
    return ""


@inbound_handler(order=1)
def _opt_in(message: InboundSms) -> str | None:
    if message.keyword not in START_KEYWORDS:
        return None
    sms_opt_in(phone=message.sender)
    return START_REPLY


@inbound_handler(order=10)
def _help(message: InboundSms) -> str | None:
    return HELP_REPLY if message.keyword in HELP_KEYWORDS else None
