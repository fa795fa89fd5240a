"""Admin for references: platform admins can look up templates, requests and proposals to help users.

References themselves are not in the admin. They hold personal data, and every read of one must be
recorded in its history; the portal's reference pages do that, for platform admins too, so that is
where a reference is read. Nothing here can be added, changed or deleted: the services enforce the rules
and write the audit log.
"""

from django.contrib import admin

from pledge_portal.core.admin_base import AuditedSearchMixin, ReadOnlyAdmin

from .models import Proposal, ReferenceRequest, ReferenceTemplate


@admin.register(ReferenceTemplate)
class ReferenceTemplateAdmin(ReadOnlyAdmin):
    list_display = ["title", "version", "published_on"]


@admin.register(ReferenceRequest)
class ReferenceRequestAdmin(AuditedSearchMixin, ReadOnlyAdmin):
    list_display = ["registration_number", "agency", "borough", "status", "due_on"]
    list_filter = ["status", "borough"]
    search_fields = ["registration_number"]
    list_select_related = ["agency", "borough"]


@admin.register(Proposal)
class ProposalAdmin(AuditedSearchMixin, ReadOnlyAdmin):
    list_display = ["registration_number", "agency", "borough", "proposed_at"]
    list_filter = ["borough"]
    search_fields = ["registration_number"]
    list_select_related = ["agency", "borough"]
