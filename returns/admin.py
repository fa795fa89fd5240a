"""Admin for returns. Reporting units are set up here (move two boroughs into one unit for a joint return).
Periods and returns are only read here: the portal's pages and services enforce the workflow and audit it."""

from django.contrib import admin

from pledge_portal.core.admin_base import ReadOnlyAdmin

from .models import ReportingPeriod, ReportingUnit, Return


@admin.register(ReportingUnit)
class ReportingUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]
    filter_horizontal = ["boroughs"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.returns.exists()


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "region", "deadline", "locks_on", "locked"]
    list_filter = ["region"]


@admin.register(Return)
class ReturnAdmin(ReadOnlyAdmin):
    list_display = ["unit", "period", "status", "revision", "submitted_at"]
    list_filter = ["status", "period__region"]
    list_select_related = ["unit", "period"]
    search_fields = ["unit__name"]
