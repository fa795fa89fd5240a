"""The audit log export, run as production runs it: a real Celery worker process taking the task from Redis,
reading and writing the same database as the test.

Also: a task delivered twice changes nothing the second time, and a worker process killed in the middle of
the task (SIGKILL) loses nothing: the message goes back on the queue and the run completes.
"""

import csv
import io
import os
import signal
import time

import pytest
from django.contrib.contenttypes.models import ContentType

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from pledge_portal.audit.selectors import audit_events_visible_to
from pledge_portal.audit.services import record
from pledge_portal.audit.tasks import HEADER, export_audit_log
from pledge_portal.jobs.models import TaskRun

pytestmark = pytest.mark.usefixtures("audit_log_flushable")

RUN_TIMEOUT = 60


def wait_for_run(run: TaskRun, worker=None, *, until=lambda run: run.finished, timeout: float = RUN_TIMEOUT):
    """Poll the database (the worker's only way of telling us anything) until ``until(run)``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if until(run):
            return run
        if worker is not None and not worker.alive():
            pytest.fail(f"The worker exited with {worker.process.returncode}:\n{worker.log_tail()}")
        time.sleep(0.05)
    tail = f"\nWorker log:\n{worker.log_tail()}" if worker is not None else ""
    pytest.fail(f"Run {run.pk} still {run.status} ({run.progress}%, {run.message!r}) after {timeout} s{tail}")


def read_csv(run: TaskRun) -> list[list[str]]:
    with run.output.open("rb") as f:
        text = f.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def new_export(analyst, label: str = "Audit log export") -> TaskRun:
    return TaskRun.objects.create(kind="audit.export", label=label, created_by=analyst, parameters={})


@pytest.fixture
def events(world):
    """A few events in the analyst's region (by borough, regional and agency users) and one in another region."""
    own, other = world.own, world.other
    record(own.users[Role.BOROUGH_SUBMITTER], "test.return_saved", own.borough)
    record(own.users[Role.BOROUGH_APPROVER], "test.return_signed_off", own.borough)
    record(own.users[Role.REGIONAL_ANALYST], "test.period_opened", own.region)
    record(own.users[Role.AGENCY_USER], "test.reference_requested", own.agency)
    record(other.users[Role.BOROUGH_SUBMITTER], "test.other_region_saved", other.borough)
    return AuditEvent.objects.all()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_audit_log_export_runs_through_a_real_worker(world, events, celery_worker):
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    visible = list(audit_events_visible_to(analyst).order_by("at", "id"))
    assert {e.action for e in visible} >= {"test.return_saved", "test.return_signed_off", "test.period_opened"}
    assert "test.other_region_saved" not in {e.action for e in visible}

    worker = celery_worker()
    run = new_export(analyst)
    export_audit_log.apply_async(args=[str(run.pk)], queue=celery_worker.queue)

    wait_for_run(run, worker)
    assert run.status == TaskRun.Status.SUCCEEDED, f"{run.error}\n{worker.log_tail()}"
    assert run.progress == 100
    assert run.attempts == 1
    assert run.result == {"rows": len(visible)}
    assert run.message == f"{len(visible):,} events exported"
    assert run.started_at and run.finished_at and run.started_at <= run.finished_at
    assert run.output.name.endswith(f"audit-log-{run.pk}.csv")

    rows = read_csv(run)
    assert rows[0] == HEADER
    assert [row[HEADER.index("Action")] for row in rows[1:]] == [e.action for e in visible]
    assert [row[HEADER.index("Who")] for row in rows[1:]] == [e.actor_label for e in visible]
    assert "test.other_region_saved" not in {row[HEADER.index("Action")] for row in rows[1:]}
    assert f"{export_audit_log.name}[" in worker.log(), "the worker's log does not show it took the task"


@pytest.mark.django_db
def test_a_task_delivered_twice_changes_nothing_the_second_time(world, events, private_media):
    """Runs in-process (no worker or Redis needed): the second delivery finds the run finished."""
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    run = new_export(analyst)

    export_audit_log.apply(args=[str(run.pk)], throw=False)
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, f"The export failed: {run.error}"
    first = {
        "attempts": run.attempts,
        "output": run.output.name,
        "result": run.result,
        "message": run.message,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }
    content = read_csv(run)
    files = sorted(p.relative_to(private_media) for p in private_media.rglob("*") if p.is_file())
    assert first["attempts"] == 1
    assert len(content) == 1 + first["result"]["rows"]

    # New events after the export must not leak into it when the message comes again.
    record(world.own.users[Role.BOROUGH_SUBMITTER], "test.after_export", world.own.borough)
    export_audit_log.apply(args=[str(run.pk)], throw=False)

    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED
    assert {
        "attempts": run.attempts,
        "output": run.output.name,
        "result": run.result,
        "message": run.message,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    } == first
    assert read_csv(run) == content
    assert sorted(p.relative_to(private_media) for p in private_media.rglob("*") if p.is_file()) == files


EVENTS_FOR_A_SLOW_EXPORT = 30_000


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_task_loses_nothing(world, celery_worker):
    """SIGKILL the pool process running the export while it is half-way through. With acks_late and
    reject_on_worker_lost (settings) the message goes back on the queue, a new pool process takes it, and
    the run starts again from the beginning and completes with every row exactly once."""
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    borough = world.own.borough
    borough_type = ContentType.objects.get_for_model(borough)
    submitter = world.own.users[Role.BOROUGH_SUBMITTER]
    # Enough events that the export takes a few seconds, so there is time to kill it part-way.
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=submitter,
                actor_label=submitter.email,
                organisation=borough.organisation,
                action="test.bulk",
                target_type=borough_type,
                target_id=str(borough.pk),
                target_label=str(borough),
            )
            for _ in range(EVENTS_FOR_A_SLOW_EXPORT)
        ],
        batch_size=5_000,
    )
    expected_rows = audit_events_visible_to(analyst).count()
    assert expected_rows >= EVENTS_FOR_A_SLOW_EXPORT

    worker = celery_worker(pool="prefork")
    pool_before = worker.pool_processes()
    assert len(pool_before) == 1, f"expected one pool process, found {pool_before}\n{worker.log_tail()}"
    run = new_export(analyst)
    export_audit_log.apply_async(args=[str(run.pk)], queue=celery_worker.queue)

    # Kill it once it has written some rows (progress is reported every 2,000) and before it finishes.
    wait_for_run(run, worker, until=lambda run: run.finished or run.progress > 0, timeout=RUN_TIMEOUT)
    assert not run.finished, (
        f"The export finished before it could be killed; raise EVENTS_FOR_A_SLOW_EXPORT ({run.message})"
    )
    os.kill(pool_before[0], signal.SIGKILL)
    killed_at_progress = run.progress

    wait_for_run(run, worker)
    assert run.status == TaskRun.Status.SUCCEEDED, f"{run.error}\n{worker.log_tail()}"
    assert run.attempts == 2, f"expected a second attempt after the kill\n{worker.log_tail()}"
    assert run.progress == 100
    assert run.result == {"rows": expected_rows}
    rows = read_csv(run)
    assert rows[0] == HEADER
    assert len(rows) == 1 + expected_rows  # replaced, not appended: no row twice
    log = worker.log()
    assert "SIGKILL" in log or "WorkerLostError" in log, worker.log_tail()
    assert worker.pool_processes() != pool_before, "the killed pool process was not replaced"
    assert 0 < killed_at_progress < 100
