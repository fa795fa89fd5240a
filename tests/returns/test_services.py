"""Returns services: periods, starting and pre-filling, editing with revision checks, and the workflow."""

from datetime import date

import pytest
from django.db.models import Count

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from returns import services
from returns.models import ReportingPeriod, Return

from .helpers import add_row, draft_return, good_row, open_period, unit_of


def test_a_draft_starts_once_with_a_workforce_line_per_role(world):
    ret = draft_return(world.own)
    again = services.start_return(unit=ret.unit, period=ret.period, by=world.own.users[Role.BOROUGH_APPROVER])
    assert again.pk == ret.pk and Return.objects.count() == 1
    assert ret.workforce.count() == 5
    assert AuditEvent.objects.filter(action="return.started").count() == 1


def test_another_borough_cannot_start_or_edit_it(world):
    ret = draft_return(world.own)
    with pytest.raises(services.ReturnError):
        services.start_return(unit=ret.unit, period=ret.period, by=world.other.users[Role.BOROUGH_SUBMITTER])
    with pytest.raises(services.ReturnError):
        services.save_assignment(
            ret=ret,
            by=world.other.users[Role.BOROUGH_SUBMITTER],
            expected_revision=ret.revision,
            values=good_row(world.own),
        )


def test_an_edit_on_an_old_revision_is_refused_and_changes_nothing(world):
    ret = draft_return(world.own)
    seen = ret.revision
    add_row(ret, world.own)
    with pytest.raises(services.StaleRevision):
        services.save_assignment(
            ret=ret, by=world.own.users[Role.BOROUGH_SUBMITTER], expected_revision=seen, values=good_row(world.own)
        )
    assert ret.assignments.count() == 1


def test_a_new_return_is_prefilled_with_rows_still_open(world):
    side = world.own
    earlier = services.open_period(
        region=side.region,
        by=side.users[Role.REGIONAL_ANALYST],
        starts_on=date(2026, 4, 1),
        deadline=date(2026, 12, 31),
        locks_on=date(2026, 12, 31),
    )
    first = draft_return(side, period=earlier)
    add_row(first, side, registration_number="SW1", end_date=None)
    add_row(first, side, registration_number="SW2", end_date=date(2026, 6, 1))
    add_row(first, side, registration_number="SW3", end_date=date(2026, 8, 1))
    first.workforce.filter(role__code="social-worker").update(
        permanent_headcount=40,
        permanent_fte=38.5,
        agency_headcount=6,
        agency_fte=5,
        vacancies_fte=4,
        starters=2,
        leavers=3,
    )
    second = services.start_return(unit=unit_of(side), period=open_period(side), by=side.users[Role.BOROUGH_SUBMITTER])
    assert sorted(second.assignments.values_list("registration_number", flat=True)) == ["SW1", "SW3"]
    assert all(row.carried_from_id for row in second.assignments.all())
    # The workforce's stocks carry forward as a starting point; the quarter's starters and leavers do not.
    line = second.workforce.get(role__code="social-worker")
    assert (line.permanent_headcount, line.agency_headcount, line.vacancies_fte) == (40, 6, 4)
    assert line.starters is None and line.leavers is None


def test_merge_updates_matching_rows_and_replace_starts_again(world):
    ret = draft_return(world.own)
    add_row(ret, world.own, registration_number="SW1")
    by = world.own.users[Role.BOROUGH_SUBMITTER]
    ret.refresh_from_db()
    counts = services.load_assignments(
        ret=ret,
        by=by,
        expected_revision=ret.revision,
        mode="merge",
        source="test",
        rows=[
            good_row(world.own, registration_number="sw1", pqe_years=7),
            good_row(world.own, registration_number="SW9"),
        ],
    )
    assert counts == {"added": 1, "updated": 1, "removed": 0}
    assert ret.assignments.get(registration_number="SW1").pqe_years == 7
    ret.refresh_from_db()
    counts = services.load_assignments(
        ret=ret, by=by, expected_revision=ret.revision, mode="replace", source="test", rows=[good_row(world.own)]
    )
    assert counts["removed"] == 2 and ret.assignments.count() == 1


def test_loading_rows_costs_a_few_queries_however_many_rows_and_matches_agencies_by_name(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AgencyFactory

    side = world.own
    other = AgencyFactory(name="Second Agency Ltd")
    ret = draft_return(side)
    by = side.users[Role.BOROUGH_SUBMITTER]

    def load(count: int) -> int:
        ret.refresh_from_db()
        rows = [
            good_row(
                side,
                registration_number=f"SW{n:05d}",
                agency_name=("  second agency LTD " if n % 2 else side.agency.name.upper()),
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            services.load_assignments(
                ret=ret, by=by, expected_revision=ret.revision, mode="replace", source="test", rows=rows
            )
        return len(queries)

    few = load(5)
    many = load(200)
    assert many - few <= 10  # only inserts in batches and deletes grow, not a query or two per row
    by_agency = dict(ret.assignments.values_list("agency").annotate(n=Count("pk")).values_list("agency", "n"))
    assert by_agency == {other.pk: 100, side.agency.pk: 100}
    assert set(ret.assignments.values_list("agency_name", flat=True)) == {"second agency LTD", side.agency.name.upper()}


def test_replacing_rows_keeps_what_referred_to_them(world):
    from returns.models import Assignment, Finding, ValidationRun

    ret = draft_return(world.own)
    row = add_row(ret, world.own, registration_number="SW1")
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    finding = Finding.objects.create(
        run=run, ret=ret, rule_code="PQE-001", severity="query", assignment=row, message="m", key="k"
    )
    later = Return.objects.create(
        unit=ret.unit,
        period=ReportingPeriod.objects.create(
            region=ret.period.region,
            starts_on=date(2026, 10, 1),
            ends_on=date(2026, 12, 31),
            opens_on=date(2027, 1, 1),
            deadline=date(2027, 1, 31),
            locks_on=date(2027, 2, 28),
            opened_by=world.own.users[Role.REGIONAL_ANALYST],
        ),
        created_by=world.own.users[Role.BOROUGH_SUBMITTER],
    )
    carried = Assignment.objects.create(ret=later, position=1, borough=row.borough, carried_from=row)
    ret.refresh_from_db()
    counts = services.load_assignments(
        ret=ret,
        by=world.own.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        mode="replace",
        source="test",
        rows=[good_row(world.own, registration_number="SW2")],
    )
    assert counts["removed"] == 1
    assert list(ret.assignments.values_list("registration_number", flat=True)) == ["SW2"]
    finding.refresh_from_db()
    carried.refresh_from_db()
    assert finding.assignment is None  # the finding stays, with the row number it was about
    assert carried.carried_from is None


def test_periods_are_opened_by_the_regions_analysts_only(world):
    with pytest.raises(services.ReturnError, match="regional analysts"):
        open_period(world.other.__class__(**{**world.own.__dict__, "users": world.other.users}))
    with pytest.raises(services.ReturnError, match="first day of a quarter"):
        services.open_period(
            region=world.own.region,
            by=world.own.users[Role.REGIONAL_ANALYST],
            starts_on=date(2026, 7, 2),
            deadline=date(2026, 11, 1),
            locks_on=date(2026, 11, 1),
        )
