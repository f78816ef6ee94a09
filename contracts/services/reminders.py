"""Reminders for unsigned contracts and their expiry, run hourly for each tenant by beat.

A reminder is a fresh copy of the customer's link: tokens are stored only as digests, so the only
way to put a working link in a reminder is to issue a new one. It goes through the same worker path
as sending (`contract_link_deliver`), keeps the link's original expiry (a reminder is not a resend
and doesn't extend the deadline), and the previous link stops working, as with a resend.

Reminders are counted from the latest send (a resend starts the schedule again), in the tenant's
local calendar days, and go out only in local daytime hours. Each runs once, whatever beat does: the
count of reminders sent is raised under the contract's row lock before anything is queued.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from contracts.models import Contract, ContractEvent, PortalSettings
from contracts.services.events import Actor, contract_event_record
from contracts.services.sealing import contracts_seal_requeue_due
from contracts.services.status import contract_lock, contract_transition
from contracts.services.timing import due_after_days, in_send_hours, tenant_zone
from contracts.services.tracking import contracts_review_request_due
from inkwell.queue import enqueue_on_commit

S = Contract.Status
UNSIGNED = (S.SENT, S.VIEWED)
MAX_REMINDERS = 3
SEND_KINDS = ("sent", "resent")


def reminder_schedule(days) -> list[int]:
    """The tenant's reminder days, cleaned: whole days ≥ 1, ascending, at most MAX_REMINDERS."""
    cleaned = sorted({d for d in (days or []) if isinstance(d, int) and not isinstance(d, bool) and d >= 1})
    return cleaned[:MAX_REMINDERS]


def _last_sent(contract_pk) -> Subquery:
    return Subquery(
        ContractEvent.objects.filter(contract=contract_pk, kind__in=SEND_KINDS)
        .order_by("-pk")
        .values("created")[:1]
    )


def contracts_expire_due(*, now: dt.datetime | None = None) -> int:
    """Mark unsigned contracts whose link has expired as `expired`. Returns how many."""
    now = now or timezone.now()
    # A contract being resent has no link until the worker issues one: it is not expiring.
    due = Contract.objects.filter(status__in=UNSIGNED, link_digest__isnull=False, link_expires_at__lte=now)
    expired = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            contract = contract_lock(pk)
            if (
                contract.status not in UNSIGNED
                or contract.link_digest is None
                or contract.link_expires_at is None
                or contract.link_expires_at > now
            ):
                continue
            contract_transition(contract=contract, to=S.EXPIRED, actor=Actor.system())
            expired += 1
    return expired


def contracts_remind_due(*, now: dt.datetime | None = None) -> int:
    """Send the reminders that are due (see the module's docstring). Returns how many were queued."""
    now = now or timezone.now()
    zone = tenant_zone()
    days = reminder_schedule(PortalSettings.load().reminder_days)
    if not days or not in_send_hours(now, zone):
        return 0
    candidates = (
        Contract.objects.filter(
            status__in=UNSIGNED,
            reminders_sent__lt=len(days),
            link_digest__isnull=False,
            link_expires_at__gt=now,
        )
        .annotate(last_sent=_last_sent(OuterRef("pk")))
        .filter(last_sent__isnull=False)
    )
    reminded = 0
    for pk, last_sent in candidates.values_list("pk", "last_sent"):
        if not due_after_days(since=last_sent, days=days[0], now=now, zone=zone):
            continue
        reminded += _contract_remind(contract_id=pk, days=days, now=now, zone=zone)
    return reminded


@transaction.atomic
def _contract_remind(*, contract_id: int, days: list[int], now: dt.datetime, zone) -> int:
    contract = contract_lock(contract_id)
    if contract.status not in UNSIGNED or contract.link_digest is None or contract.link_expires_at <= now:
        return 0
    last_sent = contract.events.filter(kind__in=SEND_KINDS).latest("pk").created
    due = sum(1 for d in days if due_after_days(since=last_sent, days=d, now=now, zone=zone))
    if due <= contract.reminders_sent:
        return 0  # sent already (beat fired twice, or another worker got here first)
    # Reminders missed while beat was down are not sent in a burst: one reminder, counted as all due.
    contract.reminders_sent = due
    contract.save(update_fields=["reminders_sent", "updated"])
    event = contract_event_record(
        contract=contract, kind="reminded", actor=Actor.system(), data={"reminder": due, "of": len(days)}
    )
    from contracts.tasks import contract_link_deliver

    enqueue_on_commit(contract_link_deliver, contract_id=contract.pk, send_event_id=event.pk)
    return 1


def contracts_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The tenant's hourly contract housekeeping: expiry first (an expired contract gets no reminder),
    then reminders and review requests, and seals that stopped are queued again."""
    now = now or timezone.now()
    return {
        "expired": contracts_expire_due(now=now),
        "reminded": contracts_remind_due(now=now),
        "review_requested": contracts_review_request_due(now=now),
        "seal_requeued": contracts_seal_requeue_due(now=now),
    }
