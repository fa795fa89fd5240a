"""Shared admin pieces."""

import re

from django.contrib import admin

from pledge_portal.audit import services as audit

# What a search for a person looks like: a registration number, whole or in part (SW123, 123456).
_LOOKS_LIKE_REGISTRATION_NUMBER = re.compile(r"(?i)\s*(sw\s*)?\d{3,}\s*")


class AuditedSearchMixin:
    """For models that hold registration numbers: a search for one in the admin is a look-up of a person's
    records, so it goes in the audit log like any other view of personal data."""

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if _LOOKS_LIKE_REGISTRATION_NUMBER.fullmatch(search_term or ""):
            audit.record(
                request.user,
                "admin.registration_number_searched",
                detail={"model": self.model._meta.label, "search": search_term.strip()[:50]},
                request=request,
            )
        return results, may_have_duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records the portal's services write and audit: the admin may look, never add, change or delete."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
