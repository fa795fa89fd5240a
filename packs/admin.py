"""Admin for compliance packs: read only. Packs are built, failed and downloaded through the services, which
audit every step."""

from django.contrib import admin

from pledge_portal.core.admin_base import ReadOnlyAdmin

from .models import CompliancePack


@admin.register(CompliancePack)
class CompliancePackAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "data_version", "created_at", "ready_at"]
    list_filter = ["status", "period__region"]
    list_select_related = ["period__region", "borough"]
