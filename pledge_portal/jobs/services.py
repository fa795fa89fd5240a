"""Starting and tracking background jobs.

``start_task_run`` is the one way a page or service launches a long job: it records a ``TaskRun`` and
enqueues the Celery task after the transaction commits, passing only ids. Inside the task,
``tracked_run`` marks the run running, then finished or failed, so a crash is always visible.
"""

import contextlib
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pledge_portal import access
from pledge_portal.audit import services as audit

from .models import TaskRun

log = logging.getLogger(__name__)


def start_task_run(
    *, task, kind: str, action: str, label: str, by, organisation=None, parameters: dict | None = None
) -> TaskRun:
    """Record a queued run and enqueue ``task(run_id)`` once the caller's transaction commits. ``action`` is the
    access action the caller took to start it (``audit.read`` for an audit export): the run and its file are
    visible to whoever started it and to those who may take that action in ``organisation``
    (``pledge_portal/jobs/permissions.py``), so a file never reaches someone its page would refuse."""
    access.registry.get(action)  # a typo would hide the job from everyone but its starter
    run = TaskRun.objects.create(
        kind=kind, action=action, label=label, created_by=by, organisation=organisation, parameters=parameters or {}
    )
    audit.record(by, "job.started", run, organisation=organisation, detail={"kind": kind})
    transaction.on_commit(lambda: task.delay(str(run.pk)))
    return run


@contextlib.contextmanager
def tracked_run(run_id: str, *, task=None):
    """Run the body as the work of ``run_id``.

    Yields the run, or None if it has already finished, so a redelivered message changes nothing. A run
    whose worker died mid-way is still marked running, so the redelivered message runs it again from the
    start: task bodies must replace their output, never append to it. An exception marks the run failed
    and propagates; if ``task`` will retry it, the run goes back to queued instead.
    """
    run = TaskRun.objects.filter(pk=run_id).first()
    if run is None or run.finished:
        yield None
        return
    now = timezone.now()
    TaskRun.objects.filter(pk=run_id).update(
        status=TaskRun.Status.RUNNING, started_at=now, heartbeat_at=now, error="", attempts=F("attempts") + 1
    )
    run.refresh_from_db()
    try:
        yield run
    except Exception as exc:
        retrying = task is not None and _will_retry(task, exc)
        log.warning("Task run %s failed (retrying: %s)", run_id, retrying, exc_info=True)
        TaskRun.objects.filter(pk=run_id).update(
            status=TaskRun.Status.QUEUED if retrying else TaskRun.Status.FAILED,
            message="Retrying after a temporary error." if retrying else run.message,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=None if retrying else timezone.now(),
        )
        raise
    TaskRun.objects.filter(pk=run_id).update(
        status=TaskRun.Status.SUCCEEDED,
        progress=100,
        message=run.message,
        result=run.result,
        output=run.output.name if run.output else "",
        finished_at=timezone.now(),
    )


def _will_retry(task, exc: Exception) -> bool:
    retry_on = tuple(getattr(task, "autoretry_for", ()) or ())
    return bool(retry_on) and isinstance(exc, retry_on) and task.request.retries < (task.max_retries or 0)


def fail_stale_runs(*, older_than) -> int:
    """Mark runs whose worker stopped reporting as failed, so nobody waits on a page for ever."""
    return TaskRun.objects.filter(status=TaskRun.Status.RUNNING, heartbeat_at__lt=timezone.now() - older_than).update(
        status=TaskRun.Status.FAILED,
        error="The worker stopped responding. Start the job again.",
        finished_at=timezone.now(),
    )
