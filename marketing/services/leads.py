"""The lead pipeline: every way a lead is made (form, API, import, chat) and every status change
goes through here, so dedupe, validation, history and the owner's notification are the same."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from contracts.services.events import Actor
from inkwell.errors import Conflict
from inkwell.queue import enqueue_on_commit
from marketing.error_codes import MarketingErrorCode
from marketing.models import Lead, LeadEvent
from tenants.validators import normalize_phone

S = Lead.Status
DUPLICATE_WINDOW = timedelta(days=30)

# Forward through the pipeline; back one step when a move was a mistake; a lost lead can be
# reopened (it calls back) and a won one can still fall through before the contract is signed.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.CONTACTED, S.QUOTED, S.LOST}),
    S.CONTACTED: frozenset({S.NEW, S.QUOTED, S.LOST}),
    S.QUOTED: frozenset({S.CONTACTED, S.WON, S.LOST}),
    S.WON: frozenset({S.QUOTED, S.LOST}),
    S.LOST: frozenset({S.NEW}),
}

# What a caller may set; status, history and timestamps belong to the services.
INPUT_FIELDS = (
    "name",
    "phone",
    "email",
    "message",
    "service_type",
    "origin",
    "destination",
    "preferred_date",
    "vehicle",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "landing_page",
    "referrer",
    "consent",
)


def _label(actor: Actor) -> str:
    return actor.label or (actor.user.email if actor.user else "")


def lead_event_record(*, lead: Lead, kind: str, actor: Actor, note: str = "", **statuses) -> LeadEvent:
    """Add one entry to `lead`'s history (inside the write's own transaction)."""
    return LeadEvent.objects.create(
        lead=lead, kind=kind, actor=actor.user, actor_label=_label(actor), note=note, **statuses
    )


def lead_validate(*, data: dict) -> Lead:
    """An unsaved Lead from `data`, or one ValidationError listing every field at fault. The phone
    is normalised to E.164 (Canadian numbers may be typed without +1), the email lower-cased."""
    errors: dict[str, list] = {
        key: ["This field can't be set."] for key in sorted(set(data) - set(INPUT_FIELDS))
    }
    values = {key: value for key, value in data.items() if key in INPUT_FIELDS and value is not None}
    for key in ("name", "phone", "email"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()
    if values.get("phone"):
        try:
            values["phone"] = normalize_phone(str(values["phone"]))
        except ValidationError as exc:
            errors["phone"] = exc.error_list
    if isinstance(values.get("email"), str):
        values["email"] = values["email"].lower()
    if not values.get("phone") and not values.get("email"):
        errors["phone"] = [
            ValidationError("Give a phone number or an email.", code=MarketingErrorCode.NEEDS_CONTACT)
        ]
    lead = Lead(**values)
    try:
        # Constraints are checked once the fields are sound; the one they hold is the check above.
        lead.full_clean(exclude=["status", *errors], validate_constraints=False)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return lead


def lead_duplicate_of(*, phone: str, email: str, now=None) -> Lead | None:
    """The most recent lead with the same phone or email made in the last 30 days (30 days ago
    included), or None."""
    match = Q()
    if phone:
        match |= Q(phone=phone)
    if email:
        match |= Q(email=email)
    if not match:
        return None
    since = (now or timezone.now()) - DUPLICATE_WINDOW
    return Lead.objects.filter(match, created__gte=since).order_by("-created", "-id").first()


def _duplicate_note(lead: Lead) -> str:
    parts = [f"Asked again via {lead.get_source_display()}"]
    for label, value in (
        ("Name", lead.name),
        ("Phone", lead.phone),
        ("Email", lead.email),
        ("Service", lead.get_service_type_display() if lead.service_type else ""),
        ("From", lead.origin),
        ("To", lead.destination),
        ("Vehicle", lead.vehicle),
        ("Preferred date", lead.preferred_date.isoformat() if lead.preferred_date else ""),
        ("Message", lead.message),
    ):
        if value:
            parts.append(f"{label}: {value}")
    return "\n".join(parts)


def lead_save(*, lead: Lead, actor: Actor) -> tuple[Lead, bool]:
    """Store a validated, unsaved lead, or merge it into its duplicate as a note. Returns the lead
    and whether it is new. Only a new lead tells the owner (after commit)."""
    existing = lead_duplicate_of(phone=lead.phone, email=lead.email)
    if existing is not None:
        lead_event_record(
            lead=existing, kind=LeadEvent.Kind.DUPLICATE, actor=actor, note=_duplicate_note(lead)
        )
        Lead.objects.filter(pk=existing.pk).update(updated=timezone.now())
        return existing, False
    lead.save()
    lead_event_record(lead=lead, kind=LeadEvent.Kind.CREATED, actor=actor, to_status=lead.status)
    from chat.services.events import actor_label_of, event_emit
    from marketing import tasks

    event_emit(
        type="lead.created",
        data={"lead": lead.pk, "source": lead.source, "service_type": lead.service_type},
        actor_label=actor_label_of(actor),
    )

    enqueue_on_commit(tasks.lead_owner_notify, lead_id=lead.pk)
    return lead, True


@transaction.atomic
def lead_create(*, data: dict, actor: Actor) -> tuple[Lead, bool]:
    """Make a lead from `data` (fields of INPUT_FIELDS). A lead with the same phone or email in the
    last 30 days gets a note instead of a twin. Returns (lead, created). Raises ValidationError."""
    return lead_save(lead=lead_validate(data=data), actor=actor)


@transaction.atomic
def lead_status_set(*, lead: Lead, status: str, actor: Actor, note: str = "") -> Lead:
    """Move `lead` to `status` along ALLOWED_TRANSITIONS; anything else is a 409 Conflict."""
    locked = get_object_or_404(Lead.objects.select_for_update(), pk=lead.pk)
    if status not in ALLOWED_TRANSITIONS.get(locked.status, ()):
        label = dict(S.choices).get(status, status)
        raise Conflict(
            f"A {locked.get_status_display().lower()} lead can't be marked {label.lower()}.",
            code=MarketingErrorCode.ILLEGAL_TRANSITION,
        )
    previous = locked.status
    locked.status = status
    locked.save(update_fields=["status", "updated"])
    lead_event_record(
        lead=locked,
        kind=LeadEvent.Kind.STATUS,
        actor=actor,
        note=note,
        from_status=previous,
        to_status=status,
    )
    return locked


def lead_contract_initial(*, lead: Lead) -> dict:
    """What a contract made from `lead` starts with: the customer, the route, the vehicle
    ("2018 Jeep Grand Cherokee" → year, make, model) and the wanted date."""
    initial = {
        "customer_name": lead.name,
        "customer_email": lead.email,
        "customer_phone": lead.phone,
        "origin": lead.origin,
        "destination": lead.destination,
        "service_type": lead.service_type,
        "pickup_from": lead.preferred_date,
        "notes": lead.message,
    }
    words = lead.vehicle.split()
    if words and len(words[0]) == 4 and words[0].isdigit():
        initial["vehicle_year"] = int(words.pop(0))
    if words:
        initial["vehicle_make"], initial["vehicle_model"] = words[0], " ".join(words[1:])
    return {key: value for key, value in initial.items() if value not in ("", None)}


@transaction.atomic
def lead_convert(*, lead: Lead, contract_data: dict, send: bool, actor: Actor):
    """Turn a won lead into a contract (sent at once if `send`), linked to the lead and noted in its
    history; all or nothing. A lead becomes at most one contract."""
    from contracts.services.contracts import contract_create, contract_send

    lead = get_object_or_404(Lead.objects.select_for_update(), pk=lead.pk)
    if lead.status != S.WON:
        raise Conflict(
            "Only a won lead becomes a contract; move it to Won first.", code=MarketingErrorCode.LEAD_NOT_WON
        )
    if lead.contract_id is not None:
        raise Conflict(
            f"This lead already has contract {lead.contract.reference}.",
            code=MarketingErrorCode.LEAD_ALREADY_CONVERTED,
        )
    contract = contract_create(data=contract_data, actor=actor)
    if send:
        contract = contract_send(contract=contract, actor=actor)
    lead.contract = contract
    lead.save(update_fields=["contract", "updated"])
    lead_event_record(
        lead=lead, kind=LeadEvent.Kind.CONVERTED, actor=actor, note=f"Contract {contract.reference}"
    )
    return contract
