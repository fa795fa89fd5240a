"""The state of a background job, kept in the database so a crash loses nothing and a page can show it."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

ABANDONED_IN_PROCESS_AFTER = timedelta(minutes=1)


class TaskRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=60, help_text="What the job does, e.g. audit.export.")
    action = models.CharField(
        max_length=60,
        blank=True,
        help_text="The access action the job was started under (audit.read): who may take it on the job's "
        "organisation may follow the job and download its file. Blank: only whoever started it.",
    )
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_runs"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="task_runs"
    )
    parameters = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    output = models.FileField(upload_to="jobs/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return self.label

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def abandoned(self) -> bool:
        """Not finished, and nothing is going to finish it: no sign of life for
        ``TASK_RUN_STALE_AFTER_SECONDS``, or still queued a minute after it was asked for while tasks run in
        process (without a broker, Celery hands a retry back instead of running it again). A page or service
        that would wait on such a run starts a new one instead."""
        if self.finished:
            return False
        from pledge_portal.celery import app

        now = timezone.now()
        if self.status == self.Status.QUEUED and app.conf.task_always_eager:
            return self.created_at < now - ABANDONED_IN_PROCESS_AFTER
        last = self.heartbeat_at or self.started_at or self.created_at
        return last < now - timedelta(seconds=settings.TASK_RUN_STALE_AFTER_SECONDS)

    def report_progress(self, percent: int, message: str = "") -> None:
        """Called by the task as it works; one small UPDATE so a page polling the run sees it at once."""
        self.progress = max(0, min(100, int(percent)))
        self.message = message[:300]
        self.heartbeat_at = timezone.now()
        TaskRun.objects.filter(pk=self.pk).update(
            progress=self.progress, message=self.message, heartbeat_at=self.heartbeat_at
        )
