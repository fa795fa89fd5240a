"""Job state: a run records its progress, its failure or its result, and a repeat changes nothing."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from pledge_portal.jobs.services import fail_stale_runs, tracked_run
from tests.factories import user_with_role


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


def test_job_page_polls_its_state_until_done_without_a_meta_refresh(run, client_for):
    """No meta refresh (it moves the page under the reader): a live region that script polls, and a plain
    refresh link that works without script."""
    client = client_for(run.created_by)
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page
    assert f'data-poll-url="/api/v1/jobs/{run.pk}/"' in page and 'aria-live="polite"' in page
    assert "Refresh the page" in page
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.FAILED, error="Broken")
    page = client.get(f"/jobs/{run.pk}/").content.decode()
    assert "data-poll-url" not in page and "The job did not finish" in page


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


def _audit_export(world, client_for, django_capture_on_commit_callbacks) -> TaskRun:
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(analyst).post(reverse("audit:log"), {})
    run = TaskRun.objects.get(kind="audit.export", created_by=analyst)
    assert response["Location"] == reverse("jobs:detail", args=[run.pk])
    assert run.status == TaskRun.Status.SUCCEEDED and run.output
    return run


def test_a_jobs_file_follows_the_action_that_made_it(world, client_for, django_capture_on_commit_callbacks):
    """A steering member, refused the audit log, cannot fetch the audit export an analyst of the same region
    made; a fellow analyst can, as can the analyst who made it."""
    run = _audit_export(world, client_for, django_capture_on_commit_callbacks)
    assert run.action == "audit.read" and run.organisation == world.own.region.organisation
    steering = client_for(world.own.users[Role.STEERING_MEMBER])
    assert steering.get(reverse("audit:log")).status_code == 403
    for name in ("jobs:detail", "jobs:download", "api-job-detail"):
        assert steering.get(reverse(name, args=[run.pk])).status_code == 404, name
    assert run.label not in steering.get(reverse("jobs:list")).content.decode()

    colleague = user_with_role(Role.REGIONAL_ANALYST, world.own.region.organisation)
    for user in (run.created_by, colleague, world.platform_admin):
        download = client_for(user).get(reverse("jobs:download", args=[run.pk]))
        assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    other_analyst = client_for(world.other.users[Role.REGIONAL_ANALYST])
    assert other_analyst.get(reverse("jobs:download", args=[run.pk])).status_code == 404


def test_every_job_is_started_under_a_declared_action(world):
    from pledge_portal.jobs.services import start_task_run

    with pytest.raises(LookupError):
        start_task_run(task=None, kind="test", action="no.such_action", label="x", by=None)


def test_runs_made_before_jobs_had_actions_take_theirs_from_their_kind(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("pledge_portal.jobs.migrations.0002_action")
    kinds = ["audit.export", "returns.validate", "returns.compliance_pack", "test"]
    runs = [TaskRun.objects.create(kind=kind, label=kind) for kind in kinds]
    migration.set_action_from_kind(apps, None)
    assert [TaskRun.objects.get(pk=r.pk).action for r in runs] == ["audit.read", "return.check", "pack.build", ""]
