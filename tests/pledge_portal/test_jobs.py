"""Job state: a run records its progress, its failure or its result, and a repeat changes nothing."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from pledge_portal.jobs.services import fail_stale_runs, tracked_run


@pytest.fixture
def run(world):
    return TaskRun.objects.create(kind="test", label="A job", created_by=world.own.users[Role.REGIONAL_ANALYST])


def test_a_run_goes_from_queued_to_finished_with_its_result(run):
    with tracked_run(str(run.pk)) as live:
        assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.RUNNING
        live.report_progress(40, "Halfway there")
        assert TaskRun.objects.get(pk=run.pk).progress == 40
        live.result = {"rows": 3}
    run.refresh_from_db()
    assert (run.status, run.progress, run.result, run.attempts) == (TaskRun.Status.SUCCEEDED, 100, {"rows": 3}, 1)
    assert run.finished_at is not None


def test_a_finished_run_is_not_run_again(run):
    with tracked_run(str(run.pk)):
        pass
    with tracked_run(str(run.pk)) as again:
        assert again is None
    run.refresh_from_db()
    assert run.attempts == 1


def test_a_crash_marks_the_run_failed_with_the_reason(run):
    with pytest.raises(ValueError), tracked_run(str(run.pk)):
        raise ValueError("the file is not a workbook")
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and "the file is not a workbook" in run.error


def test_a_temporary_failure_that_will_be_retried_goes_back_to_the_queue(run):
    class FakeTask:
        autoretry_for = (OperationalError,)
        max_retries = 3

        class request:  # noqa: N801 - mimics Celery's task.request
            retries = 0

    with pytest.raises(OperationalError), tracked_run(str(run.pk), task=FakeTask()):
        raise OperationalError("database restarting")
    run.refresh_from_db()
    assert run.status == TaskRun.Status.QUEUED and run.finished_at is None
    with tracked_run(str(run.pk)):
        pass
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED and run.attempts == 2


def test_runs_whose_worker_went_silent_are_marked_failed(run):
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    fresh = TaskRun.objects.create(
        kind="test", label="Fresh", status=TaskRun.Status.RUNNING, heartbeat_at=timezone.now()
    )
    assert fail_stale_runs(older_than=timedelta(minutes=30)) == 1
    run.refresh_from_db()
    fresh.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and fresh.status == TaskRun.Status.RUNNING


def test_job_page_refreshes_until_done(run, client_for):
    client = client_for(run.created_by)
    assert b'http-equiv="refresh"' in client.get(f"/jobs/{run.pk}/").content
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.FAILED, error="Broken")
    page = client.get(f"/jobs/{run.pk}/").content
    assert b'http-equiv="refresh"' not in page and b"The job did not finish" in page


def test_a_run_is_abandoned_when_nothing_will_finish_it(run, settings):
    from pledge_portal.celery import app

    settings.TASK_RUN_STALE_AFTER_SECONDS = 600
    assert not run.abandoned  # just queued
    TaskRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    run.refresh_from_db()
    assert run.abandoned == app.conf.task_always_eager  # in process, a queued run is never picked up
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    run.refresh_from_db()
    assert not run.abandoned  # running, heard from within the stale time
    TaskRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=11))
    run.refresh_from_db()
    assert run.abandoned
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.FAILED)
    run.refresh_from_db()
    assert not run.abandoned  # finished runs are never abandoned
