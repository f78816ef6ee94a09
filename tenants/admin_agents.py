"""Agent tokens in the staff back office: who may reach which tenant's MCP endpoint, and a way to
stop one at once. Only the prefix shows; the digest never does, and tokens are made by owners (or
`manage.py agent_token_create`), never here. A tenant's agents' tool calls and its domain events live
in its schema: they are read on the tenant's own "Agents" page (chat/admin_agents.py)."""

from django.contrib import admin

from tenants.models import AgentToken
from tenants.services.agent_tokens import agent_token_revoke


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(AgentToken)
class AgentTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tenant",
        "prefix",
        "scope_list",
        "created",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [LiveFilter, "tenant"]
    search_fields = ["name", "prefix", "tenant__name", "tenant__subdomain"]
    list_select_related = ["tenant"]
    fields = [
        "tenant",
        "name",
        "prefix",
        "scopes",
        "rate_per_minute",
        "created",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields  # changed only through the service: revoking, below
    actions = ["revoke"]

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: tool calls and approvals name the token

    @admin.action(description="Revoke (the agent stops working at once)", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            agent_token_revoke(token=token, actor=request.user)
        self.message_user(request, f"Revoked {queryset.count()} agent token(s).")
