"""Running validation: findings replaced, never duplicated; explanations kept across checks; a return marked
checked only at the revision that was checked; the real task recording its outcome; progress; and a cost
in queries that does not grow with the number of rows."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from rates.models import EngagementType, RoleCategory
from returns import selectors, services, validation
from returns.models import Finding, Return, ValidationRun
from returns.validation import run_validation

from .helpers import add_row, draft_return, good_row
from .test_rules import fill_workforce, neighbour_return


def new_run(ret: Return) -> ValidationRun:
    ret.refresh_from_db()
    return ValidationRun.objects.create(ret=ret, revision=ret.revision)


def findings_of(run: ValidationRun) -> list[tuple]:
    return sorted(run.findings.values_list("key", "rule_code", "severity", "position", "field", "message"))


def return_with_findings(world) -> Return:
    side = world.own
    ret = draft_return(side)
    add_row(ret, side, registration_number="SW1", notice_period_weeks=8)  # a query
    add_row(ret, side, registration_number="SW2", hourly_pay_rate=Decimal("50"))  # an error
    add_row(ret, side, registration_number="", pqe_years=None)  # two errors
    return ret


def test_running_the_same_run_again_replaces_its_findings(world):
    ret = return_with_findings(world)
    run = new_run(ret)
    run_validation(run)
    first = findings_of(run)
    # A worker that crashed half-way through saving left something behind: it goes too.
    Finding.objects.create(run=run, ret=ret, rule_code="ROW-001", severity="error", message="Left over", key="stale")
    run_validation(run)
    run.refresh_from_db()
    assert findings_of(run) == first
    assert run.errors == sum(1 for f in first if f[2] == "error") >= 3
    assert run.queries == sum(1 for f in first if f[2] == "query") >= 1
    assert run.finished_at is not None
    assert Finding.objects.filter(ret=ret).count() == len(first)


def test_keys_name_the_worker_start_date_and_field(world):
    ret = return_with_findings(world)
    run = new_run(ret)
    run_validation(run)
    keys = set(run.findings.values_list("key", flat=True))
    assert "NOTICE-001:SW1:2026-05-04:notice_period_weeks" in keys
    assert "RATE-001:SW2:2026-05-04:hourly_pay_rate" in keys
    assert "ROW-001:row-3:2026-05-04:registration_number" in keys
    assert "AGG-001:return:spend:agency_spend" in keys


def test_an_explanation_still_answers_its_query_after_another_check(world):
    side = world.own
    by = side.users[Role.BOROUGH_SUBMITTER]
    ret = draft_return(side)
    add_row(ret, side, registration_number="SW1", notice_period_weeks=8)
    add_row(ret, side, registration_number="SW2")
    fill_workforce(ret, side, agency_headcount={"social-worker": 2})
    run = new_run(ret)
    run_validation(run)
    (query,) = run.findings.filter(severity=Finding.Severity.QUERY)
    assert query.position == 1
    services.explain_query(ret=ret, by=by, key=query.key, text="Agreed with the head of service")
    # A new upload puts the worker on another row; the query is about the same worker, so the same one.
    ret.refresh_from_db()
    services.load_assignments(
        ret=ret,
        by=by,
        expected_revision=ret.revision,
        mode="replace",
        source="test",
        rows=[
            good_row(side, registration_number="SW3"),
            good_row(side, registration_number="SW1", notice_period_weeks=8),
        ],
    )
    again = new_run(ret)
    run_validation(again)
    (same,) = [f for f in selectors.findings_with_explanations(again) if f.severity == Finding.Severity.QUERY]
    assert same.position == 2
    assert same.key == query.key and same.explanation == "Agreed with the head of service"
    ret.refresh_from_db()
    assert services.submission_problems(ret) == []


def test_the_return_is_marked_checked_only_at_the_revision_that_was_checked(world):
    side = world.own
    ret = draft_return(side)
    add_row(ret, side)
    run = new_run(ret)
    add_row(ret, side, registration_number="SW2")  # changed while the check waited in the queue
    run_validation(run)
    ret.refresh_from_db()
    run.refresh_from_db()
    assert run.finished_at is not None and ret.validated_revision is None
    assert "Check the return again" in services.submission_problems(ret)[0]
    current = new_run(ret)
    run_validation(current)
    ret.refresh_from_db()
    assert ret.validated_revision == ret.revision == current.revision


def test_the_check_runs_as_a_task_and_records_its_outcome(world, django_capture_on_commit_callbacks):
    side = world.own
    ret = return_with_findings(world)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_validation(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    run.refresh_from_db()
    task = TaskRun.objects.get(pk=run.task_run_id)
    assert task.status == TaskRun.Status.SUCCEEDED and task.progress == 100
    assert run.finished_at is not None and run.errors > 0 and run.queries > 0
    assert task.result == {"errors": run.errors, "queries": run.queries}
    assert run.findings.count() == run.errors + run.queries
    ret.refresh_from_db()
    assert ret.validated_revision == ret.revision
    assert services.submission_problems(ret)[0].startswith(f"Correct the {run.errors} errors")


def test_a_breach_found_by_the_check_holds_up_sign_off_until_signed(world, django_capture_on_commit_callbacks):
    side = world.own
    ret = draft_return(side)
    row = add_row(ret, side, hourly_pay_rate=Decimal("40"))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_validation(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    assert list(run.findings.filter(rule_code="RATE-001").values_list("assignment_id", flat=True)) == [row.pk]
    services.sign_off_row_breach(
        ret=ret,
        by=side.users[Role.BOROUGH_APPROVER],
        assignment=row,
        reason="Court deadline",
        signed_by_title="DCS",
        chief_executive="A. Chief",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_validation(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    assert not run.findings.filter(rule_code="RATE-001").exists()


def test_progress_is_reported_now_and_then(world, monkeypatch):
    side = world.own
    ret = draft_return(side)
    for n in range(5):
        add_row(ret, side, registration_number=f"SW{n + 1}")
    monkeypatch.setattr(validation, "PROGRESS_EVERY", 2)
    reports = []
    run_validation(new_run(ret), progress=lambda percent, message: reports.append((percent, message)))
    percents = [p for p, _ in reports]
    assert percents == sorted(percents) and all(isinstance(p, int) and 0 <= p <= 100 for p in percents)
    assert (40, "Checked 2 of 5 rows") in reports and (70, "Checked 4 of 5 rows") in reports
    assert len(reports) == 5


# --- Cost --------------------------------------------------------------------------------------------

ROLES = ["social-worker", "senior-social-worker", "advanced-practitioner", "team-manager", "iro-cp-chair"]


def varied_rows(side, count: int, *, first: int, borough, other_borough) -> list[dict]:
    """Rows as varied as a real return's: every role, a start date and rate each, some over the cap, some
    within the cool-off after leaving the other borough, every fifth worker also reported by the other unit.

    Each role comes with one engagement type: inside a transaction (as in a test) every rate check reads
    the rate table's fingerprint, so validation asks once per role, engagement type and rate card, not once
    per row. Five such combinations are what five rows can hold."""
    roles = {r.code: r for r in RoleCategory.objects.all()}
    engagements = list(EngagementType.values)
    return [
        good_row(
            side,
            borough=borough,
            registration_number=f"SW9{i:05d}" if i % 5 == 0 else f"SW{first + i}",
            role=roles[ROLES[i % 5]],
            engagement_type=engagements[i % 5 % 3],
            start_date=date(2026, 4, 1) + timedelta(days=i * 3),
            hourly_pay_rate=Decimal("45.00") if i % 5 == 2 else Decimal("30.00") + i % 7,
            notice_period_weeks=4 + i % 2,
            previous_employer=other_borough if i % 4 == 0 else None,
            left_previous_on=date(2026, 1, 1) if i % 4 == 0 else None,
        )
        for i in range(count)
    ]


def load(ret: Return, by, rows: list[dict]) -> None:
    ret.refresh_from_db()
    services.load_assignments(ret=ret, by=by, expected_revision=ret.revision, rows=rows, mode="replace", source="test")


def test_checking_50_rows_costs_no_more_queries_than_checking_5(world, django_assert_max_num_queries):
    side = world.own
    codes = {"CROSS-001", "RATE-001", "COOL-001", "NOTICE-001", "DUP-001"}
    small = draft_return(side)
    rows = varied_rows(side, 5, first=1, borough=side.borough, other_borough=side.msp_borough)
    load(small, side.users[Role.BOROUGH_SUBMITTER], [*rows, {**rows[1], "start_date": date(2026, 9, 1)}])
    large = neighbour_return(side, period=small.period)
    rows = varied_rows(side, 50, first=100, borough=side.msp_borough, other_borough=side.borough)
    load(large, side.users[Role.MSP_USER], [*rows, {**rows[1], "start_date": date(2026, 9, 1)}])
    run_validation(new_run(small))  # the rate table is built once per process, not per check
    small_run = new_run(small)
    with CaptureQueriesContext(connection) as queries:
        run_validation(small_run)
    assert codes <= set(small_run.findings.values_list("rule_code", flat=True))
    large_run = new_run(large)
    with django_assert_max_num_queries(len(queries)):
        run_validation(large_run)
    assert codes <= set(large_run.findings.values_list("rule_code", flat=True))
    assert large_run.findings.count() > 3 * small_run.findings.count()


def test_rows_sharing_a_rate_card_are_each_judged_on_their_own_rate_and_date(world):
    side = world.own
    ret = draft_return(side)
    add_row(ret, side, registration_number="SW1", hourly_pay_rate=Decimal("36.00"))
    add_row(ret, side, registration_number="SW2", hourly_pay_rate=Decimal("38.00"), start_date=date(2026, 6, 1))
    add_row(ret, side, registration_number="SW3", hourly_pay_rate=Decimal("40.00"), start_date=date(2026, 7, 1))
    add_row(ret, side, registration_number="SW4", hourly_pay_rate=Decimal("40.00"), start_date=date(2026, 3, 1))
    run = new_run(ret)
    run_validation(run)
    over = {f.position: f.message for f in run.findings.filter(rule_code="RATE-001")}
    assert sorted(over) == [2, 3]
    assert over[2].startswith("£38.00 an hour is £1.60") and over[3].startswith("£40.00 an hour is £3.60")
    (no_card,) = run.findings.filter(rule_code="RATE-002")
    assert no_card.position == 4 and "01 March 2026" in no_card.message
