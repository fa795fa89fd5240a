"""Admin for regional DfE extracts: read only. They are built, failed and downloaded through the services,
which audit every step."""

from django.contrib import admin

from pledge_portal.core.admin_base import ReadOnlyAdmin

from .models import DfeExtract


@admin.register(DfeExtract)
class DfeExtractAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "status", "data_version", "created_at", "ready_at"]
    list_filter = ["status", "period__region"]
    list_select_related = ["period__region"]
