"""Admin for rates reference data. Rate cards are drafted and published in the portal, where the rules
(overlaps, superseding, audit) are enforced, so the admin only reads them."""

from django.contrib import admin

from pledge_portal.core.admin_base import AuditedSearchMixin

from .models import BreachSignOff, LocalRole, RateCard, RateCardLine, RoleCategory


@admin.register(RoleCategory)
class RoleCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    readonly_fields = ["code"]  # stable codes: the API and spreadsheets use them

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LocalRole)
class LocalRoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "core", "region"]
    list_filter = ["region", "core"]
    search_fields = ["name", "code"]


class RateCardLineInline(admin.TabularInline):
    model = RateCardLine
    extra = 0
    can_delete = False
    readonly_fields = ["role", "local_role", "inclusive_cap", "paye_cap"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["title", "region", "version", "status", "effective_from", "effective_to", "is_demo"]
    list_filter = ["region", "status", "is_demo"]
    inlines = [RateCardLineInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in RateCard._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BreachSignOff)
class BreachSignOffAdmin(AuditedSearchMixin, admin.ModelAdmin):
    list_display = ["registration_number", "borough", "hourly_rate", "cap", "signed_by", "signed_on"]
    list_filter = ["borough"]
    search_fields = ["registration_number"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in BreachSignOff._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
