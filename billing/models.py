"""Billing's public-schema tables: sign-ups waiting for payment, subscriptions, and Stripe's events.

Everything here is known before any tenant schema is chosen (a sign-up has no tenant yet; a webhook
arrives on the public host), so it all lives in the public schema.
"""

import secrets

from django.db import models

from tenants.models import Plan, Tenant


def _signup_token() -> str:
    return secrets.token_urlsafe(24)


class Signup(models.Model):
    """One person's request for a workspace, from the signup form to a ready tenant.

    pending (sent to checkout) → paid (checkout completed, provisioning) → ready, or failed (the
    subdomain went to someone else meanwhile, or the subscription ended before provisioning).
    No tenant exists for a signup that is not at least paid.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PAID = "paid", "Paid, setting up"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed (needs staff)"

    # The success and cancel pages are addressed by this unguessable token, never by the id.
    token = models.CharField(max_length=40, unique=True, default=_signup_token, editable=False)
    business_name = models.CharField(max_length=120)
    subdomain = models.CharField(max_length=40)
    email = models.EmailField()
    phone = models.CharField(max_length=20, blank=True)
    plan = models.CharField(max_length=16, choices=Plan.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    checkout_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True)
    tenant = models.OneToOneField(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="signup"
    )
    error = models.TextField(blank=True)
    welcome_sms_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "paid", "ready", "failed"]),
                name="signup_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(plan__in=Plan.values), name="signup_plan_valid"),
            # A ready signup has its tenant.
            models.CheckConstraint(
                condition=~models.Q(status="ready") | models.Q(tenant__isnull=False),
                name="signup_ready_tenant",
            ),
        ]

    def __str__(self):
        return f"{self.subdomain} ({self.get_status_display().lower()})"


class Subscription(models.Model):
    """Our copy of a Stripe Subscription, refreshed from Stripe's API whenever an event mentions it."""

    class Status(models.TextChoices):
        # Stripe's own subscription statuses.
        INCOMPLETE = "incomplete", "Incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired", "Incomplete, expired"
        TRIALING = "trialing", "Trialing"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"
        UNPAID = "unpaid", "Unpaid"
        PAUSED = "paused", "Paused"

    stripe_id = models.CharField(max_length=255, unique=True)
    customer_id = models.CharField(max_length=255, blank=True)
    signup = models.OneToOneField(
        Signup, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscription"
    )
    tenant = models.OneToOneField(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscription"
    )
    plan = models.CharField(max_length=16, choices=Plan.choices, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    # When the subscription last became past due; the grace period counts from here.
    past_due_since = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.stripe_id} ({self.status})"


class WebhookEvent(models.Model):
    """An event a provider posted, stored as received (after its signature was checked) before any
    processing, so nothing is lost if processing fails; staff see and replay it in the admin."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received (queued)"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (type not handled)"
        FAILED = "failed", "Failed (gave up)"

    provider = models.CharField(max_length=20, default="stripe")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    tenant = models.ForeignKey(
        Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="billing_events"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhookevent_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "processed", "ignored", "failed"]),
                name="webhookevent_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.type} {self.event_id}"


class SimulatedObject(models.Model):
    """Stripe objects (customers, subscriptions) of the offline billing backend, used when no Stripe
    keys are configured: what `stripe.Subscription.retrieve` would return, kept here instead."""

    object_id = models.CharField(max_length=255, primary_key=True)
    data = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.object_id
