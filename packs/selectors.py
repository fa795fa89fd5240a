"""Reading compliance packs, already scoped: every pack page, download and task reads through these."""

from django.db.models import QuerySet

from pledge_portal import access

from .models import CompliancePack


def packs_visible_to(user) -> QuerySet[CompliancePack]:
    """Compliance packs the user may see and download: regional roles, their region's (the regional pack and
    every borough's); a borough's own submitters and approvers, their borough's pack (not MSP users, who act
    for a borough's returns but are not held to account by its pack); platform admins, all."""
    qs = CompliancePack.objects.select_related("period__region", "borough", "task_run", "requested_by")
    return access.visible(user, "pack.download", qs)
