"""The shipment's tracking timeline after signing, the customer messages about it, and the review
request a day after delivery.

One step at a time, forward only, through `contract_milestone_advance`; mistakes are put right with
`contract_milestone_correct`, which needs a reason. Every move is a Milestone row and an audit event
written under the contract's row lock, and the customer is told after commit by the worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from contracts.error_codes import ContractErrorCode
from contracts.milestones import DELIVERED, STEPS, Step, next_step, steps_for
from contracts.models import Contract, ContractEvent, Milestone, PortalSettings
from contracts.notifications import REF_PREFIX, customer_notify
from contracts.services.events import Actor, contract_event_record
from contracts.services.status import contract_lock
from contracts.services.timing import due_after_days, in_send_hours, tenant_zone
from contracts.signals import contract_signed
from inkwell.errors import Conflict
from inkwell.queue import enqueue_on_commit
from tenants.messaging import email_status_changed
from tenants.models import OutboundMessage
from tenants.services.sms import sms_status_changed

S = Contract.Status
SIGNED_STATUSES = frozenset({S.SIGNED, S.SEALED, S.SEAL_FAILED})
_BY_KEY = {step.key: step for step in STEPS}


def milestone_step(value: int | str) -> Step:
    """The step named by its key ("pickup") or index (2, "2"). Raises ValidationError if none is."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    step = STEPS[value] if isinstance(value, int) and 0 <= value < len(STEPS) else _BY_KEY.get(value)
    if step is None:
        keys = ", ".join(_BY_KEY)
        raise ValidationError(
            {
                "step": ValidationError(
                    f"Unknown step; use one of: {keys}.", code=ContractErrorCode.UNKNOWN_MILESTONE
                )
            }
        )
    return step


def _require_signed(contract: Contract) -> None:
    if contract.status not in SIGNED_STATUSES:
        raise Conflict(
            f"Contract {contract.reference} is {contract.get_status_display().lower()}; "
            "tracking starts once it is signed.",
            code=ContractErrorCode.ILLEGAL_MILESTONE,
        )


def _step_data(step: Step) -> dict:
    return {"step": step.index, "key": step.key, "label": step.label}


def _milestone_event(contract: Contract, step: Step, actor: Actor, *, corrected: bool) -> None:
    """The `contract.milestone` domain event (agents, the event stream), beside the audit event.
    Signing reaches the first step itself: `contract.signed` says so, no milestone event."""
    from chat.services.events import actor_label_of, event_emit

    event_emit(
        type="contract.milestone",
        data={
            "contract": contract.pk,
            "reference": contract.reference,
            **_step_data(step),
            "corrected": corrected,
        },
        actor_label=actor_label_of(actor),
    )


@transaction.atomic
def contract_milestone_advance(
    *,
    contract: Contract,
    step_key_or_index: int | str,
    actor: Actor,
    note: str = "",
    eta: dt.date | None = None,
) -> Milestone:
    """Move a signed contract's shipment to its next step (and only that one), with an optional
    note and ETA for the customer, who is told after commit.

    Raises Conflict (409, illegal_milestone) for any other step — its message names the one allowed
    next — or for a contract not signed yet; ValidationError for an unknown step or a bad note/ETA.
    """
    step = milestone_step(step_key_or_index)
    locked = contract_lock(contract.pk)
    _require_signed(locked)
    allowed = next_step(locked.service_type, locked.milestone)
    if allowed is None:
        raise Conflict(
            f"Contract {locked.reference} is already delivered; there is no next step.",
            code=ContractErrorCode.ILLEGAL_MILESTONE,
        )
    if step.index != allowed.index:
        raise Conflict(
            f"The next step of contract {locked.reference} is “{allowed.label}” ({allowed.key}), "
            f"not “{step.label}”.",
            code=ContractErrorCode.ILLEGAL_MILESTONE,
        )
    milestone = Milestone(contract=locked, step=step.index, note=note.strip(), eta=eta)
    milestone.full_clean()
    milestone.save()
    locked.milestone = step.index
    locked.save(update_fields=["milestone", "updated"])
    data = {**_step_data(step), "note": milestone.note, "eta": eta.isoformat() if eta else None}
    event = contract_event_record(contract=locked, kind="milestone", actor=actor, data=data)
    _milestone_event(locked, step, actor, corrected=False)
    from contracts.tasks import contract_event_notify

    enqueue_on_commit(contract_event_notify, contract_id=locked.pk, event_id=event.pk)
    contract.milestone = locked.milestone
    return milestone


@transaction.atomic
def contract_milestone_correct(
    *, contract: Contract, step: int | str, reason: str, actor: Actor
) -> Milestone:
    """Move a shipment back to an earlier step it went through, e.g. after a step was marked by
    mistake. Needs a reason (kept on the milestone and in the audit trail); the customer is not
    messaged — their timeline simply shows the corrected step.

    Raises ValidationError (correction_needs_reason) without a reason, Conflict for a step that is not
    earlier than the current one or not part of this kind of shipment.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": ValidationError(
                    "Say why the step is corrected.", code=ContractErrorCode.CORRECTION_NEEDS_REASON
                )
            }
        )
    target = milestone_step(step)
    locked = contract_lock(contract.pk)
    _require_signed(locked)
    if (
        target not in steps_for(locked.service_type)
        or locked.milestone is None
        or target.index >= locked.milestone
    ):
        raise Conflict(
            f"“{target.label}” is not a step before the current one of contract {locked.reference}.",
            code=ContractErrorCode.ILLEGAL_MILESTONE,
        )
    milestone = Milestone(contract=locked, step=target.index, correction_reason=reason)
    milestone.full_clean()
    milestone.save()
    previous = locked.milestone
    locked.milestone = target.index
    locked.save(update_fields=["milestone", "updated"])
    contract_event_record(
        contract=locked,
        kind="milestone_corrected",
        actor=actor,
        data={**_step_data(target), "from": previous, "reason": reason},
    )
    _milestone_event(locked, target, actor, corrected=True)
    contract.milestone = locked.milestone
    return milestone


def contract_milestone_move(
    *,
    contract: Contract,
    actor: Actor,
    step: int | str = "",
    note: str = "",
    eta: dt.date | None = None,
    correct_to: int | str = "",
    reason: str = "",
) -> Milestone:
    """What the owner's form, the admin and the API ask for: `step` moves forward to it
    (`contract_milestone_advance`), otherwise `correct_to` moves back to it with a `reason`
    (`contract_milestone_correct`). Raises as those do."""
    if step != "":
        return contract_milestone_advance(
            contract=contract, step_key_or_index=step, actor=actor, note=note, eta=eta
        )
    return contract_milestone_correct(contract=contract, step=correct_to, reason=reason, actor=actor)


@receiver(contract_signed, dispatch_uid="contracts.tracking.start")
def _tracking_start(sender, contract: Contract, **kwargs) -> None:
    """Signing is the first step of the timeline: it is reached in the signing's own transaction, so
    the first step staff mark is "Documents Submitted". The signing confirmation already tells the
    customer, so this step sends nothing."""
    if contract.milestone is not None:
        return
    step = STEPS[0]
    Milestone.objects.create(contract=contract, step=step.index)
    contract.milestone = step.index
    contract.save(update_fields=["milestone", "updated"])
    contract_event_record(contract=contract, kind="milestone", actor=Actor.system(), data=_step_data(step))


@dataclass(frozen=True)
class TimelineStep:
    step: Step
    reached_at: dt.datetime | None
    note: str
    eta: dt.date | None
    current: bool


def contract_timeline(*, contract: Contract) -> list[TimelineStep]:
    """The steps of `contract`'s shipment in order, each with when it was (last) reached, for the
    owner's and the customer's pages. Steps after the current one (after a correction too) show as
    not reached."""
    latest: dict[int, Milestone] = {}
    for milestone in contract.milestones.all():
        latest[milestone.step] = milestone
    current = contract.milestone
    timeline = []
    for step in steps_for(contract.service_type):
        reached = latest.get(step.index) if current is not None and step.index <= current else None
        timeline.append(
            TimelineStep(
                step=step,
                reached_at=reached.created if reached else None,
                note=reached.note if reached else "",
                eta=reached.eta if reached else None,
                current=step.index == current,
            )
        )
    return timeline


# --- customer messages -------------------------------------------------------------------------------


def _milestone_message(contract: Contract, event: ContractEvent) -> tuple[str, dict]:
    eta = event.data.get("eta")
    steps = steps_for(contract.service_type)
    position = next(i for i, step in enumerate(steps, 1) if step.index == event.data["step"])
    return "milestone", {
        "label": event.data["label"],
        "note": event.data.get("note", ""),
        "eta": dt.date.fromisoformat(eta) if eta else None,
        "position": position,
        "total": len(steps),
        "delivered": event.data["step"] == DELIVERED,
    }


def _review_message(contract: Contract, event: ContractEvent) -> tuple[str, dict] | None:
    url = PortalSettings.load().review_url
    return ("review", {"url": url}) if url else None


# Which events tell the customer something, and with which template and context.
_MESSAGES = {"milestone": _milestone_message, "review_requested": _review_message}


@transaction.atomic
def contract_event_notify(*, contract_id: int, event_id: int) -> bool:
    """Tell the customer about event `event_id` (worker side of milestones and review requests).
    Safe to run twice: each event is told once. Returns whether anything was sent."""
    contract = contract_lock(contract_id)
    event = contract.events.filter(pk=event_id, kind__in=_MESSAGES).first()
    if event is None or contract.events.filter(kind="customer_notified", data__event=event_id).exists():
        return False
    message = _MESSAGES[event.kind](contract, event)
    if message is None:
        return False
    template, context = message
    outcome = customer_notify(contract=contract, name=template, context=context)
    contract_event_record(
        contract=contract,
        kind="customer_notified",
        actor=Actor.system(),
        data={"event": event_id, "template": template, **outcome},
    )
    return True


def contracts_review_request_due(*, now: dt.datetime | None = None) -> int:
    """Ask delivered customers for a review, once each, a local day after delivery (in send hours).
    Off while the tenant has no review link. Returns how many were asked."""
    now = now or timezone.now()
    zone = tenant_zone()
    if not PortalSettings.load().review_url or not in_send_hours(now, zone):
        return 0
    asked = 0
    for contract in Contract.objects.filter(milestone=DELIVERED, review_requested_at__isnull=True):
        with transaction.atomic():
            locked = contract_lock(contract.pk)
            delivered = locked.milestones.filter(step=DELIVERED).order_by("-pk").first()
            if (
                locked.milestone != DELIVERED
                or locked.review_requested_at is not None
                or delivered is None
                or not due_after_days(since=delivered.created, days=1, now=now, zone=zone)
            ):
                continue
            locked.review_requested_at = now
            locked.save(update_fields=["review_requested_at", "updated"])
            event = contract_event_record(contract=locked, kind="review_requested", actor=Actor.system())
            from contracts.tasks import contract_event_notify as notify_task

            enqueue_on_commit(notify_task, contract_id=locked.pk, event_id=event.pk)
            asked += 1
    return asked


# --- SMS and email delivery outcomes ----------------------------------------------------------------


def _delivery_record(message: OutboundMessage, *, kind: str, actor_label: str) -> None:
    """Add the outcome of a message about a contract (its `ref`) to that contract's audit trail, in
    the message's tenant's schema, whatever schema the delivery runs in."""
    if not message.ref.startswith(REF_PREFIX) or message.tenant is None:
        return
    from django_tenants.utils import tenant_context

    contract_id = int(message.ref.removeprefix(REF_PREFIX))
    with tenant_context(message.tenant):
        contract = Contract.objects.filter(pk=contract_id).first()
        if contract is None:
            return
        contract_event_record(
            contract=contract,
            kind=kind,
            actor=Actor(type=ContractEvent.Actor.SYSTEM, label=actor_label),
            data={"message": message.pk, "status": message.status, "error": message.error},
        )


@receiver(sms_status_changed, dispatch_uid="contracts.tracking.sms_status")
def _sms_status_to_audit_trail(sender, message: OutboundMessage, **kwargs) -> None:
    """A delivery report for a message about a contract joins that contract's audit trail."""
    delivered = message.status == OutboundMessage.Status.DELIVERED
    _delivery_record(message, kind="sms_delivered" if delivered else "sms_failed", actor_label="Twilio")


# email outcomes, as SMS delivery reports above.
@receiver(email_status_changed, dispatch_uid="contracts.tracking.email_status")
def _email_status_to_audit_trail(sender, message: OutboundMessage, **kwargs) -> None:
    """An email about a contract that ended sent or failed joins that contract's audit trail. In a
    savepoint of its own: an error here must not abort the delivery's transaction."""
    sent = message.status == OutboundMessage.Status.SENT
    with transaction.atomic():
        _delivery_record(message, kind="email_sent" if sent else "email_failed", actor_label="Email")
