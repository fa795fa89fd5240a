from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Readable by platform admins, never editable: no add, change or delete."""

    list_display = ["at", "actor_label", "organisation", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_label"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
