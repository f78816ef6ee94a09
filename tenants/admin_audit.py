"""The audit trail in the staff back office: read-only, like the trail itself."""

from django.contrib import admin

from tenants.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created", "actor_label", "action", "tenant"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "tenant__name", "tenant__subdomain"]
    list_select_related = ["tenant"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
