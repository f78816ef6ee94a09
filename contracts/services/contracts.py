"""Creating, sending, resending and voiding contracts. Views, the API, the admin and commands call these."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from contracts.models import Contract, ContractEvent, ContractTemplate, PortalSettings, ReferenceCounter
from contracts.notifications import customer_notify
from contracts.services.events import Actor, contract_event_record
from contracts.services.links import contract_link_issue
from contracts.services.status import contract_lock, contract_transition
from contracts.services.timing import tenant_zone
from inkwell.queue import enqueue_on_commit
from tenants.selectors import tenant_url

S = Contract.Status

DEFAULT_TERMS = """\
## 1. Services
The carrier will transport the vehicle or goods described above from the origin to the destination
by the service stated, and arrange the export and import formalities that service includes.

## 2. Rate and payment
The rate above is for the service described. Port, storage and customs charges at destination are
the customer's unless listed under inclusions. Payment is due as set out in the payment terms.

## 3. Condition and inspection
The vehicle is inspected at pickup and on delivery; damage must be noted on the delivery receipt.
Personal items must not be left in a vehicle unless agreed in writing.

## 4. Insurance
Cover is as chosen above. Declined cover means the carrier's liability is limited to what the law
of carriage provides.

## 5. Delays
Sailing and arrival dates are estimates from the shipping line; the carrier is not liable for
delays by the line, ports or customs.
"""
DEFAULT_CONSENT = (
    "I have read the contract and its terms, and I agree to them. I agree that my typed name and my "
    "drawn signature are my electronic signature, with the same effect as a signature on paper."
)


def contract_template_current() -> ContractTemplate:
    """The latest version of the tenant's terms (the first use creates version 1 from the defaults)."""
    template = ContractTemplate.objects.order_by("-version").first()
    if template is None:
        template = ContractTemplate.objects.create(
            version=1, title="Vehicle shipping contract", terms=DEFAULT_TERMS, consent_text=DEFAULT_CONSENT
        )
    return template


@transaction.atomic
def contract_template_publish(*, title: str, terms: str, consent_text: str, actor: Actor) -> ContractTemplate:
    """Publish a new version of the terms. Contracts already sent keep the version they were sent with."""
    latest = ContractTemplate.objects.select_for_update().order_by("-version").first()
    template = ContractTemplate(
        version=(latest.version + 1) if latest else 1,
        title=title,
        terms=terms,
        consent_text=consent_text,
        created_by=actor.user,
    )
    template.full_clean()
    template.save()
    return template


def _next_reference() -> str:
    """The next reference of this year, e.g. SC-2026-0042. Numbers are never reused."""
    year = timezone.localdate().year
    counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{PortalSettings.load().reference_prefix}-{year}-{counter.last:04d}"


@transaction.atomic
def contract_create(*, data: dict, actor: Actor) -> Contract:
    """Create a draft contract from `data` (field → value, validated at the edge).

    Raises ValidationError (field errors) when a model rule fails; nothing is stored then.
    """
    contract = Contract(**data, created_by=actor.user)
    contract.reference = "pending"  # full_clean needs a value; the real one is taken only if valid
    contract.full_clean(exclude=["reference"])
    contract.reference = _next_reference()
    contract.save()
    contract_event_record(contract=contract, kind="created", actor=actor)
    return contract


@transaction.atomic
def contract_send(*, contract: Contract, actor: Actor) -> Contract:
    """Send (or resend) the contract to its customer: a fresh personal link by SMS and/or email.

    The first send freezes the terms. A resend rotates the link, so the old one stops working at
    once. The link is made and delivered by the worker, so its token never crosses the broker.
    """
    locked = contract_lock(contract.pk)
    resend = locked.status != S.DRAFT
    if locked.template_id is None:
        template = contract_template_current()
        locked.template = template
        locked.terms_snapshot = template.terms
        locked.consent_snapshot = template.consent_text
        locked.save(update_fields=["template", "terms_snapshot", "consent_snapshot", "updated"])
    locked.link_digest = None  # the old link dies with this transaction
    locked.reminders_sent = 0
    locked.save(update_fields=["link_digest", "reminders_sent", "updated"])
    contract_transition(contract=locked, to=S.SENT, actor=actor, event="resent" if resend else "sent")
    event = locked.events.latest("pk")
    from contracts.tasks import contract_link_deliver

    enqueue_on_commit(contract_link_deliver, contract_id=locked.pk, send_event_id=event.pk)
    return locked


@transaction.atomic
def contract_link_deliver(*, contract_id: int, send_event_id: int) -> bool:
    """Make the customer's link and send it (worker side of `contract_send`). Safe to run twice:
    a send is delivered once. Returns whether anything was sent."""
    contract = contract_lock(contract_id)
    if contract.status not in {S.SENT, S.VIEWED}:
        return False  # voided, signed or expired since
    already = ContractEvent.objects.filter(contract=contract, kind="link_delivered", data__send=send_event_id)
    if already.exists() or contract.events.filter(kind__in=["sent", "resent"], pk__gt=send_event_id).exists():
        return False  # delivered already, or a newer send supersedes this one
    # a reminder (see contracts/services/reminders.py) is a fresh link that
    # keeps the deadline of the link it replaces.
    reminder = contract.events.filter(pk=send_event_id, kind="reminded").exists()
    token = contract_link_issue(contract=contract, expires_at=contract.link_expires_at if reminder else None)
    url = tenant_url(connection.tenant, f"/c/{token}/")
    outcome = customer_notify(
        contract=contract,
        name="reminder" if reminder else "link",
        context={
            "url": url,
            "days": PortalSettings.load().link_ttl_days,
            "expires": timezone.localtime(contract.link_expires_at, tenant_zone()),
        },
        secret=token,
    )
    contract_event_record(
        contract=contract,
        kind="link_delivered",
        actor=Actor.system(),
        data={"send": send_event_id, **outcome},
    )
    return True


@transaction.atomic
def contract_void(*, contract: Contract, actor: Actor, reason: str = "") -> Contract:
    """Cancel an unsigned contract: its link stops working and it can't be signed."""
    locked = contract_lock(contract.pk)
    contract_transition(
        contract=locked, to=S.VOIDED, actor=actor, data={"reason": reason} if reason else None
    )
    locked.link_digest = None
    locked.save(update_fields=["link_digest", "updated"])
    return locked
