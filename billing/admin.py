"""Staff back office for billing: signups, subscriptions, Stripe events (with replay), and a tenant's
billing history (its subscription and the events that concerned it)."""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from billing.models import Signup, SimulatedObject, Subscription, WebhookEvent
from billing.services.webhooks import webhook_event_replay


class ReadOnlyAdmin(admin.ModelAdmin):
    """Billing rows change only through Stripe's events; staff read them (and replay events)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ["created", "subdomain", "business_name", "email", "plan", "status", "tenant"]
    list_filter = ["status", "plan"]
    search_fields = ["subdomain", "business_name", "email", "checkout_session_id", "subscription_id"]


class EventInline(admin.TabularInline):
    model = WebhookEvent
    fields = ["received_at", "type", "status", "attempts", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-received_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_id",
        "tenant",
        "plan",
        "status",
        "past_due_since",
        "current_period_end",
        "updated",
    ]
    list_filter = ["status", "plan"]
    search_fields = ["stripe_id", "customer_id", "tenant__name", "tenant__subdomain"]

    def history(self, obj):
        """The tenant's billing history: every Stripe event that concerned it, newest first."""
        if obj.tenant_id is None:
            return "—"
        rows = WebhookEvent.objects.filter(tenant_id=obj.tenant_id).order_by("-received_at")[:100]
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td></tr>',
                (
                    (e.received_at.strftime("%Y-%m-%d %H:%M"),
                     reverse("admin:billing_webhookevent_change", args=[e.pk]), e.type, e.get_status_display())
                    for e in rows
                ),
            ),
        )  # fmt: skip

    history.short_description = "Billing history"

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "history"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "status", "attempts", "tenant", "short_error"]
    list_filter = ["status", "type", "provider"]
    search_fields = ["event_id", "type", "error"]
    actions = ["replay"]
    exclude = ["payload"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "payload"] + ["payload_pretty"]

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))

    @admin.display(description="Error")
    def short_error(self, obj):
        return obj.error[:80]

    @admin.action(description="Replay (process again)", permissions=["change"])
    def replay(self, request, queryset):
        for event in queryset:
            webhook_event_replay(event=event)
        self.message_user(request, f"{queryset.count()} event(s) queued again.", messages.SUCCESS)


@admin.register(SimulatedObject)
class SimulatedObjectAdmin(ReadOnlyAdmin):
    list_display = ["object_id", "updated"]
