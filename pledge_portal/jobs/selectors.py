"""Reading job state."""

from django.db.models import QuerySet

from pledge_portal import access

from .models import TaskRun


def task_runs_visible_to(user) -> QuerySet[TaskRun]:
    """A user sees the runs they started and those of their organisations; platform admins see all."""
    return access.visible(user, "job.read", TaskRun.objects.select_related("created_by", "organisation"))
