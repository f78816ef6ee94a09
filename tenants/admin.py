"""The staff back office for tenants, people, configuration and outbound messages."""

import logging

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from chat.admin import tenant_approval_urls
from chat.admin_agents import tenant_agent_urls
from contracts.admin import tenant_contract_urls
from inkwell.errors import DomainError
from marketing.admin import tenant_page_urls
from marketing.admin_google import google_key_urls
from marketing.admin_ingestion import tenant_ingestion_urls
from tenants.admin_tenant import admin_tenant_or_404
from tenants.forms import ProvisionForm, TenantConfigAdminForm
from tenants.models import (
    Domain,
    Membership,
    OutboundMessage,
    SmsOptOut,
    Tenant,
    TenantConfig,
    TenantStatusEvent,
    User,
)
from tenants.selectors import tenant_data_overview, tenant_owners, tenant_url
from tenants.services.config import EDITABLE_FIELDS, tenant_config_update
from tenants.services.provisioning import spare_schemas_top_up, tenant_provision
from tenants.services.signin import signin_welcome_send, signout_everywhere
from tenants.services.status import tenant_reactivate, tenant_suspend

logger = logging.getLogger(__name__)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "phone", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name", "phone"]
    readonly_fields = ["date_joined", "last_login", "session_generation"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["full_name", "phone"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("History", {"fields": ["date_joined", "last_login", "session_generation"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    actions = ["sign_out_everywhere"]

    @admin.action(description="Sign out of every device", permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            signout_everywhere(user=user, actor=request.user)
        self.message_user(request, f"Signed {queryset.count()} people out everywhere.")


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class TenantConfigInline(admin.StackedInline):
    """The one place staff edit a tenant's configuration (owners use the dashboard)."""

    model = TenantConfig
    form = TenantConfigAdminForm
    can_delete = False
    readonly_fields = ["configured_connectors"]

    @admin.display(description="Connector credentials (encrypted)")
    def configured_connectors(self, obj):
        names = sorted(obj.connector_secrets) if obj.pk else []
        if not obj.pk:
            return "none"
        link = reverse("admin:tenants_tenant_google_key", args=[obj.pk])
        return format_html(
            '{} · <a href="{}">Paste a Google service-account key</a>', ", ".join(names) or "none", link
        )


class StatusEventInline(admin.TabularInline):
    model = TenantStatusEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "reason", "created"]

    def has_add_permission(self, request, obj=None):
        return False


class SpareSchemaFilter(admin.SimpleListFilter):
    """Spare schemas are plumbing, not customers: hidden from the tenant list unless asked for."""

    title = "spare schemas"
    parameter_name = "spares"
    SPARES = Q(subdomain=None, status__in=[Tenant.Status.SPARE, Tenant.Status.PROVISIONING])

    def lookups(self, request, model_admin):
        return [("shown", "Shown")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Hidden",
        }
        yield {
            "selected": self.value() == "shown",
            "query_string": changelist.get_query_string({self.parameter_name: "shown"}),
            "display": "Shown",
        }

    def queryset(self, request, queryset):
        return queryset if self.value() == "shown" else queryset.exclude(self.SPARES)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "status", "plan", "created", "site_link"]
    list_filter = [SpareSchemaFilter, "status", "plan"]
    search_fields = ["name", "subdomain", "external_key"]
    readonly_fields = [
        "schema_name",
        "subdomain",
        "status",
        "external_key",
        "created",
        "activated_at",
        "data_link",
    ]
    fields = ["name", "plan", *readonly_fields]
    inlines = [TenantConfigInline, DomainInline, MembershipInline, StatusEventInline]
    actions = ["suspend", "reactivate", "resend_welcome"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public")

    def has_delete_permission(self, request, obj=None):
        return False  # tenants are canceled, never deleted from here

    @admin.display(description="Site")
    def site_link(self, obj):
        if not obj.subdomain:
            return "—"
        url = tenant_url(obj)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="Tenant data")
    def data_link(self, obj):
        if obj.status == Tenant.Status.SPARE or not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">Inspect this tenant’s own data</a> · <a href="{}">Contracts</a> · '
            '<a href="{}">Website</a> · <a href="{}">Analytics ingestion</a> · <a href="{}">Agents</a> · '
            '<a href="{}">Agents’ proposals</a>',
            reverse("admin:tenants_tenant_data", args=[obj.pk]),
            reverse("admin:tenants_tenant_contracts", args=[obj.pk]),
            reverse("admin:tenants_tenant_pages", args=[obj.pk]),
            reverse("admin:tenants_tenant_ingestion", args=[obj.pk]),
            reverse("admin:tenants_tenant_agents", args=[obj.pk]),
            reverse("admin:tenants_tenant_approvals", args=[obj.pk]),
        )

    def save_formset(self, request, form, formset, change):
        """Staff's configuration changes go through the same service as the owner's: the allow-list,
        the audit event and the old logo's deletion apply to them too."""
        if formset.model is not TenantConfig:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)  # sorts the forms into new and changed ones, for the change message
        for config in formset.new_objects:  # a tenant with no configuration yet (a spare)
            config.save()
        forms = {form.instance.pk: form for form in formset.forms}
        for config, _fields in formset.changed_objects:
            data = {field: forms[config.pk].cleaned_data[field] for field in EDITABLE_FIELDS}
            tenant_config_update(config=config, data=data, actor=request.user)

    def get_urls(self):
        return [
            path(
                "provision/", self.admin_site.admin_view(self.provision_view), name="tenants_tenant_provision"
            ),
            path(
                "top-up-spares/", self.admin_site.admin_view(self.top_up_view), name="tenants_tenant_top_up"
            ),
            path("<int:pk>/data/", self.admin_site.admin_view(self.data_view), name="tenants_tenant_data"),
            *tenant_contract_urls(self),  # contracts, inside the tenant's schema
            *tenant_page_urls(self),  # website pages, likewise
            *google_key_urls(self),  # a service-account key for the Google connectors
            *tenant_ingestion_urls(self),  # analytics ingestion runs, inside the tenant's schema
            *tenant_agent_urls(self),  # agents' tool calls and domain events, read-only
            *tenant_approval_urls(self),  # agents' proposals, read-only but for approve / reject
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:tenants_tenant_provision")

    def provision_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProvisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = tenant_provision(**form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                form.apply_errors(exc)
            else:
                messages.success(
                    request,
                    f"{result.tenant.name} is live at {tenant_url(result.tenant)}; the owner was emailed a sign-in link.",
                )
                return redirect("admin:tenants_tenant_change", result.tenant.pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Provision a tenant",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tenants/tenant/provision.html", context)

    def top_up_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        made = spare_schemas_top_up()
        messages.success(request, f"{made} spare schema(s) created; {settings.SPARE_SCHEMAS} are kept ready.")
        return redirect("admin:tenants_tenant_changelist")

    def data_view(self, request, pk):
        """Read-only look at a tenant's own schema: every table with its row count, and the latest
        rows of each tenant-app model (secret-looking columns masked). Each look is logged."""
        tenant = admin_tenant_or_404(self, request, pk)
        logger.info("Staff %s inspected the data of tenant %s", request.user.email, tenant.schema_name)
        context = {
            **self.admin_site.each_context(request),
            "tenant": tenant,
            **tenant_data_overview(tenant),
            "title": f"Data of {tenant.name}",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/tenants/tenant/data.html", context)

    def _transition(self, request, queryset, service, verb):
        for tenant in queryset:
            try:
                service(tenant=tenant, actor=request.user, reason=f"{verb} from the admin")
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
            else:
                self.message_user(request, f"{tenant} {verb}.")

    @admin.action(description="Suspend (site shows “temporarily unavailable”)", permissions=["change"])
    def suspend(self, request, queryset):
        self._transition(request, queryset, tenant_suspend, "suspended")

    @admin.action(description="Reactivate", permissions=["change"])
    def reactivate(self, request, queryset):
        self._transition(request, queryset, tenant_reactivate, "reactivated")

    @admin.action(description="Resend the welcome link to the owner", permissions=["change"])
    def resend_welcome(self, request, queryset):
        for tenant in queryset:
            owners = list(tenant_owners(tenant=tenant)) if tenant.status == Tenant.Status.ACTIVE else []
            if not owners:
                self.message_user(request, f"{tenant} has no active owner to welcome.", level=messages.ERROR)
                continue
            for owner in owners:
                signin_welcome_send(tenant=tenant, user=owner)
            self.message_user(request, f"Welcome link sent to {', '.join(o.email for o in owners)}.")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created"]
    list_filter = ["role"]
    search_fields = ["user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["created", "channel", "to", "subject", "status", "backend", "tenant"]
    list_filter = ["channel", "status", "backend"]
    search_fields = ["to", "subject", "body"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the delivery log is kept whole


# who texted STOP. Read-only: only the person, by texting START, undoes it.
@admin.register(SmsOptOut)
class SmsOptOutAdmin(admin.ModelAdmin):
    list_display = ["phone", "keyword", "created"]
    search_fields = ["phone"]
    readonly_fields = ["phone", "keyword", "created"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
