"""Reading job state."""

from django.db.models import Q, QuerySet

from pledge_portal.accounts.roles import Role

from .models import TaskRun


def task_runs_visible_to(user) -> QuerySet[TaskRun]:
    """A user sees the runs they started and those of their organisations; platform admins see all."""
    qs = TaskRun.objects.select_related("created_by", "organisation")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(Q(created_by=user) | Q(organisation_id__in=user.organisation_ids()))
