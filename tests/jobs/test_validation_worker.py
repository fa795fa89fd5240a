"""A return checked as production checks it: the validation task taken from Redis by a real Celery worker
process, which reads the return and writes its findings in the same database as the test."""

from decimal import Decimal

import pytest

from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from returns.models import Return, ValidationRun
from returns.tasks import validate_return
from tests.returns.helpers import add_row, draft_return

from .test_worker import wait_for_run

pytestmark = pytest.mark.usefixtures("audit_log_flushable")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_return_is_checked_by_a_real_worker_and_a_redelivery_adds_nothing(world, celery_worker):
    side = world.own
    ret = draft_return(side)
    add_row(ret, side, registration_number="SW1", pqe_years=Decimal("1.5"))  # PQE under 3 years: an error
    add_row(ret, side, registration_number="SW2", notice_period_weeks=9)  # a notice period query
    ret.refresh_from_db()
    task_run = TaskRun.objects.create(
        kind="returns.validate", label="Check", created_by=side.users[Role.BOROUGH_SUBMITTER]
    )
    validation = ValidationRun.objects.create(ret=ret, revision=ret.revision, task_run=task_run)

    worker = celery_worker()
    validate_return.apply_async(args=[str(task_run.pk)], queue=celery_worker.queue)
    wait_for_run(task_run, worker)
    assert task_run.status == TaskRun.Status.SUCCEEDED, f"{task_run.error}\n{worker.log_tail()}"
    validation.refresh_from_db()
    codes = sorted(validation.findings.values_list("rule_code", flat=True))
    assert "PQE-001" in codes and "NOTICE-001" in codes
    assert validation.finished_at and validation.errors >= 1 and validation.queries >= 1
    assert Return.objects.get(pk=ret.pk).validated_revision == ret.revision
    assert f"{validate_return.name}[" in worker.log()

    # The same message again (a redelivery) finds the run finished and changes nothing.
    before = sorted(validation.findings.values_list("key", flat=True))
    validate_return.apply_async(args=[str(task_run.pk)], queue=celery_worker.queue)
    ping = TaskRun.objects.create(kind="test", label="After", created_by=side.users[Role.BOROUGH_SUBMITTER])
    validate_return.apply_async(args=[str(ping.pk)], queue=celery_worker.queue)  # no validation run: fails
    wait_for_run(ping, worker)
    assert sorted(validation.findings.values_list("key", flat=True)) == before
    assert TaskRun.objects.get(pk=task_run.pk).attempts == 1
