"""Leads: people who asked for a quote, in the tenant's own schema, with an append-only history.

Landing pages arrive with the next slice of issue 16.
"""

from __future__ import annotations

from django.db import models

# Id-only references to users, as the contract trail has them (see its docstring).
from contracts.models import Contract, _user_reference
from tenants.validators import validate_no_control_characters, validate_phone


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUOTED = "quoted", "Quoted"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    class Source(models.TextChoices):
        FORM = "form", "Quote form"
        CHAT = "chat", "Chat"
        PHONE = "phone", "Phone"
        API = "api", "API"
        IMPORT = "import", "Import"

    # The same services a contract offers, so a won lead can pre-fill one.
    ServiceType = Contract.ServiceType

    name = models.CharField(max_length=150, validators=[validate_no_control_characters])
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    message = models.TextField(blank=True, max_length=5000)
    service_type = models.CharField(max_length=16, choices=Contract.ServiceType.choices, blank=True)
    origin = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    destination = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    preferred_date = models.DateField(null=True, blank=True)
    vehicle = models.CharField(max_length=120, blank=True, validators=[validate_no_control_characters])
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.FORM)
    utm_source = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    utm_medium = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    utm_campaign = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    landing_page = models.CharField(max_length=500, blank=True, validators=[validate_no_control_characters])
    referrer = models.CharField(max_length=500, blank=True, validators=[validate_no_control_characters])
    consent = models.BooleanField(default=False, help_text="Agreed to be contacted about this request.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # Set by the notification task: a redelivered task sees it and tells the owner nothing twice.
    owner_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["phone", "created"], name="lead_phone_created"),
            models.Index(fields=["email", "created"], name="lead_email_created"),
            models.Index(fields=["status", "created"], name="lead_status_created"),
        ]
        constraints = [
            # Someone we can't call or write back to is not a lead.
            models.CheckConstraint(condition=~models.Q(phone="", email=""), name="lead_has_phone_or_email"),
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "contacted", "quoted", "won", "lost"]),
                name="lead_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["form", "chat", "phone", "api", "import"]),
                name="lead_source_known",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class LeadEvent(models.Model):
    """One thing that happened to a lead: created, merged duplicate, status change, note. Never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        DUPLICATE = "duplicate", "Duplicate merged"
        STATUS = "status", "Status changed"
        NOTIFIED = "notified", "Owner notified"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = _user_reference()
    actor_label = models.CharField(max_length=254, blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.kind} on lead {self.lead_id}"
