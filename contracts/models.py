"""Contracts, their signature, their append-only audit trail and the shipment's tracking milestones.

All of it lives in the tenant's own schema. What was signed must be provable years later, so the
terms shown are frozen on the contract when it is sent, the signature row exists at most once per
contract (a database constraint, not only a check in Python), and the event log refuses UPDATE and
DELETE in the database itself (see migration 0002).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contracts.validators import validate_vin
from tenants.validators import validate_no_control_characters, validate_phone


def _user_reference():
    """A reference from a tenant table to a (public) user, by id only.

    No database constraint and no cascade: Django would run a user's deletion cascade in whatever
    schema is current, never in every tenant's, and the audit trail must never be rewritten when a
    person is removed. The email beside it (`actor_label`) keeps saying who it was.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )


class Currency(models.TextChoices):
    CAD = "CAD", "Canadian dollar"
    USD = "USD", "US dollar"


class PortalSettings(models.Model):
    """The tenant's contract-portal settings (one row per schema, pk=1)."""

    link_ttl_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    require_sms_code = models.BooleanField(
        default=False, help_text="Customers confirm a 6-digit SMS code before signing."
    )
    # Days after sending at which an unsigned contract's customer is reminded (at most 3).
    reminder_days = models.JSONField(default=list, blank=True)
    review_url = models.URLField(blank=True, help_text="Where delivered customers are asked for a review.")
    reference_prefix = models.CharField(
        max_length=6, default="IW", validators=[validate_no_control_characters]
    )

    def __str__(self):
        return "Contract portal settings"

    @classmethod
    def load(cls) -> PortalSettings:
        return cls.objects.get_or_create(pk=1, defaults={"reminder_days": [2, 5]})[0]


class ContractTemplate(models.Model):
    """A version of the tenant's contract terms. Versions are never edited: a change is a new row,
    and each contract keeps the version (and a copy of the text) it was sent with."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200, validators=[validate_no_control_characters])
    terms = models.TextField(help_text="The full terms, in Markdown.")
    consent_text = models.TextField(help_text="What the customer agrees to by signing.")
    created = models.DateTimeField(auto_now_add=True)
    created_by = _user_reference()

    class Meta:
        ordering = ["-version"]

    def __str__(self):
        return f"{self.title} (v{self.version})"


class ReferenceCounter(models.Model):
    """The last contract number used in a year: references are numbered per tenant and year."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        VIEWED = "viewed", "Viewed"
        SIGNED = "signed", "Signed"
        SEALED = "sealed", "Sealed"
        SEAL_FAILED = "seal_failed", "Sealing failed"
        EXPIRED = "expired", "Expired"
        VOIDED = "voided", "Voided"

    class ServiceType(models.TextChoices):
        SHARED = "shared", "Shared container"
        CONTAINER = "container", "Exclusive container"
        RORO = "roro", "RoRo (roll-on/roll-off)"
        DOMESTIC_MOVING = "domestic_moving", "Domestic moving"

    class Insurance(models.TextChoices):
        ALL_RISK = "all_risk", "All risk"
        TOTAL_LOSS = "total_loss", "Total loss only"
        DECLINED = "declined", "Declined"

    class ContactPreference(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"
        BOTH = "both", "SMS and email"

    # A human-readable number (e.g. SC-2026-0042) to quote on the phone; never an access key.
    reference = models.CharField(max_length=20, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)

    customer_name = models.CharField(max_length=150, validators=[validate_no_control_characters])
    customer_email = models.EmailField(blank=True)
    customer_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    contact_preference = models.CharField(
        max_length=5, choices=ContactPreference.choices, default=ContactPreference.BOTH
    )

    vehicle_year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    vehicle_make = models.CharField(max_length=60, blank=True, validators=[validate_no_control_characters])
    vehicle_model = models.CharField(max_length=60, blank=True, validators=[validate_no_control_characters])
    vehicle_vin = models.CharField(max_length=17, blank=True, validators=[validate_vin])

    origin = models.CharField(max_length=200, validators=[validate_no_control_characters])
    destination = models.CharField(max_length=200, validators=[validate_no_control_characters])
    service_type = models.CharField(max_length=16, choices=ServiceType.choices)

    rate = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CAD)
    payment_terms = models.TextField(blank=True)
    inclusions = models.TextField(blank=True)
    insurance = models.CharField(max_length=10, choices=Insurance.choices, default=Insurance.DECLINED)
    # Percent of the declared value; cost = declared value × rate / 100 (see insurance_cost).
    insurance_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    declared_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    pickup_from = models.DateField(null=True, blank=True)
    pickup_to = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    # The terms this contract was sent with, frozen (a later template version changes nothing here).
    template = models.ForeignKey(ContractTemplate, on_delete=models.PROTECT, null=True, blank=True)
    terms_snapshot = models.TextField(blank=True, editable=False)
    consent_snapshot = models.TextField(blank=True, editable=False)

    # The customer's link /c/<token>/: only the SHA-256 of the token is kept. Resending rotates it.
    link_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    link_expires_at = models.DateTimeField(null=True, blank=True)

    # Index into contracts.milestones.STEPS of the last milestone reached (0 = Contract Signed).
    milestone = models.PositiveSmallIntegerField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    review_requested_at = models.DateTimeField(null=True, blank=True)

    created_by = _user_reference()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    unsealed_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    sealed_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    sealed_pdf = models.FileField(upload_to="contracts/", blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "-created"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "draft",
                        "sent",
                        "viewed",
                        "signed",
                        "sealed",
                        "seal_failed",
                        "expired",
                        "voided",
                    ]
                ),
                name="contract_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__in=["CAD", "USD"]), name="contract_currency_valid"
            ),
            models.CheckConstraint(condition=models.Q(rate__gte=0), name="contract_rate_not_negative"),
            models.CheckConstraint(
                condition=models.Q(pickup_from__isnull=True)
                | models.Q(pickup_to__isnull=True)
                | models.Q(pickup_to__gte=models.F("pickup_from")),
                name="contract_pickup_window_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(customer_email="") | ~models.Q(customer_phone=""),
                name="contract_customer_reachable",
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.customer_name}"

    @property
    def insurance_cost(self) -> Decimal:
        if self.insurance == self.Insurance.DECLINED:
            return Decimal("0.00")
        return (self.declared_value * self.insurance_rate / 100).quantize(Decimal("0.01"))

    @property
    def vehicle(self) -> str:
        return " ".join(
            str(part) for part in [self.vehicle_year, self.vehicle_make, self.vehicle_model] if part
        )


class Signature(models.Model):
    """The customer's signature. One per contract, enforced by the primary key."""

    contract = models.OneToOneField(
        Contract, on_delete=models.PROTECT, primary_key=True, related_name="signature"
    )
    signer_name = models.CharField(max_length=150)
    # The drawn signature as PNG bytes; empty when the customer signed by typed name alone (no JavaScript).
    image_png = models.BinaryField(blank=True)
    signed_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    consent_text = models.TextField()
    terms_version = models.PositiveIntegerField(null=True, blank=True)
    # SHA-256 of the document exactly as shown to the customer when they signed.
    document_sha256 = models.CharField(max_length=64)

    def __str__(self):
        return f"Signature of {self.signer_name} on {self.contract_id}"


class ContractEvent(models.Model):
    """One line of a contract's audit trail. Append-only: the database refuses UPDATE and DELETE."""

    class Actor(models.TextChoices):
        STAFF = "staff", "Staff"
        OWNER = "owner", "Owner or team member"
        CUSTOMER = "customer", "Customer"
        API = "api", "API key"
        SYSTEM = "system", "System"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=40)
    actor_type = models.CharField(max_length=10, choices=Actor.choices)
    actor = _user_reference()
    actor_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.contract_id}: {self.kind}"


class Milestone(models.Model):
    """A step of the shipment reached (or corrected back). The contract's `milestone` is the latest."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="milestones")
    step = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=500, blank=True)
    eta = models.DateField(null=True, blank=True)
    # A move back to an earlier step: needs a reason, and is audited like any other.
    correction_reason = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.contract_id}: step {self.step}"


# --- Customer portal: the optional SMS code before signing -----------------------------


class SigningCode(models.Model):
    """A 6-digit code texted to the customer before signing, when the tenant asks for one.

    The code is bound to the browser that asked for it: the browser's session keeps a random
    challenge, and only `HMAC(SECRET_KEY, sha256(challenge):code)` is stored here, so neither the
    link alone nor the code alone lets anyone sign.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signing_codes")
    challenge_digest = models.CharField(max_length=64, unique=True)
    code_digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"Signing code for {self.contract_id}"
