"""Housekeeping for background jobs."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .services import fail_stale_runs


@shared_task
def fail_stale_task_runs() -> int:
    return fail_stale_runs(older_than=timedelta(seconds=settings.TASK_RUN_STALE_AFTER_SECONDS))
