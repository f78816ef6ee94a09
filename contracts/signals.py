"""Signals the contracts app sends, so the parts that react (sealing, notifications) stay decoupled
from the part that acts. Receivers run inside the sender's transaction: queue work with
`inkwell.queue.enqueue_on_commit`, never send anything directly."""

from django.dispatch import Signal

# A customer signed: kwargs contract (the locked, signed Contract).
contract_signed = Signal()
