"""Uploads run in the background: the request stores the workbook and starts a job; the job reads, loads (all
or nothing) and checks it; the upload's page follows the job and shows the problems or the result."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from returns import services, spreadsheets
from returns.models import Return, ValidationRun, WorkbookUpload
from returns.tasks import load_upload

from .helpers import add_row, draft_return
from .test_spreadsheets import _set, edited, state_of, upload


@pytest.fixture
def submitter(world):
    return world.own.users[Role.BOROUGH_SUBMITTER]


@pytest.fixture
def ret(world):
    return draft_return(world.own)


def template_with_rows(ret: Return, side, count: int) -> bytes:
    """The return's template filled with ``count`` rows, the return itself left empty."""
    for n in range(count):
        add_row(ret, side, registration_number=f"SW{500000 + n}")
    content = spreadsheets.template_workbook(ret)
    ret.assignments.all().delete()
    ret.refresh_from_db()
    return content


def post(client, ret: Return, content: bytes, *, mode: str = "merge", revision: int | None = None):
    return client.post(
        reverse("returns:upload", args=[ret.pk]),
        {"revision": ret.revision if revision is None else revision, "mode": mode, "workbook": upload(content)},
    )


def test_the_request_stores_the_file_and_the_job_loads_and_checks_it(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    content = template_with_rows(ret, world.own, 3)
    client = client_for(submitter)
    # Nothing is read in the request: a reader called now would fail the test.
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        mock.patch.object(spreadsheets, "read_rows", side_effect=AssertionError("read in the request")),
    ):
        stored = post(client, ret, content)
    assert stored.status_code == 302
    upload_record = WorkbookUpload.objects.get()
    run = upload_record.task_run
    assert stored["Location"] == reverse("returns:upload-status", args=[ret.pk, run.pk])
    assert (upload_record.created_by, upload_record.mode, upload_record.expected_revision) == (
        submitter,
        "merge",
        ret.revision,
    )
    assert default_storage.exists(upload_record.file.name) and not ret.assignments.exists()
    assert run.status == TaskRun.Status.QUEUED and run.kind == "returns.upload"

    waiting = client.get(stored["Location"])
    html = waiting.content.decode()
    # Script polls the job's small JSON state every 300 ms; without it, a plain link (never a meta refresh).
    assert f'data-poll-url="{reverse("api-job-detail", args=[run.pk])}"' in html and 'data-poll-every="300"' in html
    assert "Refresh the page" in html and "http-equiv" not in html
    assert client.get(reverse("api-job-detail", args=[run.pk])).json()["status"] == "queued"

    for callback in callbacks:
        callback()
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED
    assert ret.assignments.count() == 3
    # The check ran as part of the job, on the revision the upload made.
    check = ValidationRun.objects.get(task_run=run)
    ret.refresh_from_db()
    assert check.finished_at and check.revision == ret.revision == ret.validated_revision
    assert check.findings.count() == check.errors + check.queries
    assert {key: run.result[key] for key in ("outcome", "added", "updated", "removed", "errors", "queries")} == {
        "outcome": "loaded",
        "added": 3,
        "updated": 0,
        "removed": 0,
        "errors": check.errors,
        "queries": check.queries,
    }
    assert run.result["summary"].startswith("Workbook loaded: 3 rows added, 0 updated, 0 removed")
    # The stored file is gone once read.
    assert not WorkbookUpload.objects.exists() and not default_storage.exists(upload_record.file.name)

    page = client.get(stored["Location"]).content.decode()
    assert "Workbook loaded" in page and "3 rows added, 0 updated, 0 removed" in page
    assert reverse("returns:findings", args=[ret.pk]) in page and "data-poll-url" not in page


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_a_refused_file_leaves_the_draft_unchanged_and_its_page_lists_the_problems_once(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks, mode
):
    add_row(ret, world.own)
    ret.refresh_from_db()
    before = state_of(ret)
    bad = edited(spreadsheets.template_workbook(ret), _set("G2", "abc"))
    client = client_for(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        stored = post(client, ret, bad, mode=mode)
    assert state_of(ret) == before
    run = TaskRun.objects.get(kind="returns.upload")
    assert run.status == TaskRun.Status.SUCCEEDED and run.result["outcome"] == "refused"
    html = client.get(stored["Location"]).content.decode()
    assert "Assignments!G2: ‘abc’ is not a date; type it as 27/03/2026" in html
    assert html.count("govuk-error-summary__title") == 1 and "<title>Error:" in html
    assert "Your return has not changed" in html
    assert not WorkbookUpload.objects.exists()  # a refused file is not kept either


def test_what_needs_no_reading_is_refused_in_the_request(world, ret, submitter, client_for, monkeypatch):
    client = client_for(submitter)
    content = spreadsheets.template_workbook(ret)
    stale = post(client, ret, content, revision=ret.revision - 1)
    assert stale.status_code == 400 and "changed" in stale.content.decode()
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 1024)
    large = post(client, ret, content)
    assert large.status_code == 400 and "The selected file must be smaller than 1 KB" in large.content.decode()
    assert not WorkbookUpload.objects.exists() and not TaskRun.objects.filter(kind="returns.upload").exists()


def test_a_double_clicked_upload_loads_once(world, ret, submitter, client_for, django_capture_on_commit_callbacks):
    content = template_with_rows(ret, world.own, 2)
    client = client_for(submitter)
    revision = ret.revision
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, ret, content)
        second = post(client, ret, content)  # the same file and revision, before the job has run
    assert first["Location"] == second["Location"]
    assert TaskRun.objects.filter(kind="returns.upload").count() == 1
    assert ret.assignments.count() == 2
    ret.refresh_from_db()
    assert ret.revision == revision + 1  # loaded once: one change on the revision the page showed


def test_a_second_upload_after_the_first_finished_is_a_new_job(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks
):
    content = template_with_rows(ret, world.own, 2)
    client = client_for(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, ret, content)
    ret.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, ret, content, mode="replace")
    assert TaskRun.objects.filter(kind="returns.upload", status=TaskRun.Status.SUCCEEDED).count() == 2
    assert ret.assignments.count() == 2


def _stored(ret: Return, by, content: bytes, *, mode: str = "replace") -> WorkbookUpload:
    ret.refresh_from_db()
    return services.start_upload(
        ret=ret, by=by, uploaded_file=upload(content), mode=mode, expected_revision=ret.revision
    )


def test_a_job_that_dies_while_loading_leaves_the_draft_unchanged_and_can_run_again(world, ret, submitter):
    content = template_with_rows(ret, world.own, 3)
    add_row(ret, world.own, registration_number="SW900001")
    before = state_of(ret)
    stored = _stored(ret, submitter, content)  # replace: the old row is deleted before the new ones go in
    with (
        mock.patch.object(services, "_insert_assignments", side_effect=RuntimeError("worker lost")),
        pytest.raises(RuntimeError),
    ):
        load_upload(str(stored.task_run_id))
    assert state_of(ret) == before
    run = TaskRun.objects.get(pk=stored.task_run_id)
    assert run.status == TaskRun.Status.FAILED and "worker lost" in run.error
    assert WorkbookUpload.objects.filter(pk=stored.pk).exists()  # kept until its retention ends

    # A worker killed outright leaves its run "running"; the redelivered message runs it from the start.
    TaskRun.objects.filter(pk=run.pk).update(status=TaskRun.Status.RUNNING, finished_at=None)
    load_upload(str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED and run.attempts == 2
    assert sorted(ret.assignments.values_list("registration_number", flat=True)) == [
        "SW500000",
        "SW500001",
        "SW500002",
    ]


def test_a_job_run_again_after_loading_checks_without_loading_twice(world, ret, submitter, monkeypatch):
    content = template_with_rows(ret, world.own, 2)
    stored = _stored(ret, submitter, content, mode="merge")
    # The worker dies after the rows were committed, before the job was marked finished.
    with (
        mock.patch("returns.tasks._check", side_effect=SystemExit("worker killed")),
        pytest.raises(SystemExit),
    ):
        load_upload(str(stored.task_run_id))
    ret.refresh_from_db()
    revision = ret.revision
    assert ret.assignments.count() == 2 and WorkbookUpload.objects.get().loaded["added"] == 2
    TaskRun.objects.filter(pk=stored.task_run_id).update(status=TaskRun.Status.RUNNING)
    load_upload(str(stored.task_run_id))
    ret.refresh_from_db()
    assert ret.assignments.count() == 2 and ret.revision == revision
    run = TaskRun.objects.get(pk=stored.task_run_id)
    assert run.status == TaskRun.Status.SUCCEEDED and run.result["added"] == 2


def test_stored_uploads_are_deleted_after_their_retention_unless_their_job_is_still_due(world, ret, submitter):
    content = spreadsheets.template_workbook(ret)
    old = _stored(ret, submitter, content)
    pending = _stored(ret, submitter, content, mode="merge")
    WorkbookUpload.objects.update(created_at=timezone.now() - services.UPLOAD_RETENTION - timedelta(minutes=1))
    TaskRun.objects.filter(pk=old.task_run_id).update(status=TaskRun.Status.FAILED)
    TaskRun.objects.filter(pk=pending.task_run_id).update(status=TaskRun.Status.RUNNING, heartbeat_at=timezone.now())
    assert services.delete_stale_uploads() == 1
    assert list(WorkbookUpload.objects.all()) == [pending]
    assert not default_storage.exists(old.file.name) and default_storage.exists(pending.file.name)


def test_the_upload_page_of_another_return_or_job_is_not_found(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks
):
    content = spreadsheets.template_workbook(ret)
    client = client_for(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        stored = post(client, ret, content)
    run = TaskRun.objects.get(kind="returns.upload")
    other = draft_return(world.other)
    assert client.get(reverse("returns:upload-status", args=[other.pk, run.pk])).status_code == 404
    export = TaskRun.objects.create(kind="audit.export", label="Not an upload", created_by=submitter)
    assert client.get(reverse("returns:upload-status", args=[ret.pk, export.pk])).status_code == 404
    approver = client_for(world.other.users[Role.BOROUGH_SUBMITTER])
    assert approver.get(stored["Location"]).status_code == 404


def test_the_job_s_queries_do_not_grow_with_the_rows(world, submitter):
    side = world.own
    small = draft_return(side)
    small_content = template_with_rows(small, side, 5)
    large_content = template_with_rows(small, side, 60)  # replaces the 5 rows with 60
    warm = _stored(small, submitter, small_content)
    load_upload(str(warm.task_run_id))  # caches (the rate table) are built once per process
    first = _stored(small, submitter, small_content)
    with CaptureQueriesContext(connection) as queries:
        load_upload(str(first.task_run_id))
    second = _stored(small, submitter, large_content)
    with CaptureQueriesContext(connection) as more:
        load_upload(str(second.task_run_id))
    assert TaskRun.objects.get(pk=second.task_run_id).result["added"] == 60
    assert len(more) <= len(queries) + 2, [q["sql"][:120] for q in more.captured_queries]
