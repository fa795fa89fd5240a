"""The validation rules, each with a case it finds and a case it lets pass. Rows are made through the same
services the pages use, and checked by running the validation the task runs."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from rates.models import LocalRole, RoleCategory
from returns import services
from returns.models import Finding, Return, ValidationRun
from returns.rules import add_months, all_rules
from returns.validation import run_validation

from .helpers import add_row, draft_return, good_row, open_period, unit_of


def validate(ret: Return) -> list[Finding]:
    ret.refresh_from_db()
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    run_validation(run)
    return list(run.findings.all())


def found(ret: Return, code: str) -> list[Finding]:
    return [f for f in validate(ret) if f.rule_code == code]


def fill_workforce(ret: Return, side, *, agency_headcount=None, spend=Decimal("10000"), **figures) -> None:
    """Every workforce figure filled in: no agency staff, unless ``agency_headcount`` maps a role code to a
    headcount; ``spend`` for each month."""
    ret.refresh_from_db()
    agency_headcount = agency_headcount or {}
    lines = {
        role.pk: {
            "permanent_headcount": 10,
            "permanent_fte": Decimal("9.5"),
            "agency_headcount": agency_headcount.get(role.code, 0),
            "agency_fte": Decimal(agency_headcount.get(role.code, 0)),
            "vacancies_fte": Decimal("1.0"),
            "starters": 1,
            "leavers": 1,
            **figures,
        }
        for role in RoleCategory.objects.all()
    }
    services.save_workforce(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        lines=lines,
        totals={
            "agency_spend_month_1": spend,
            "agency_spend_month_2": spend,
            "agency_spend_month_3": spend,
            "project_teams": 0,
        },
    )


@pytest.fixture
def ret(world):
    return draft_return(world.own)


# --- The registry -----------------------------------------------------------------------------------


def test_every_rule_has_a_unique_code_a_severity_and_words_for_the_rules_page():
    rules = all_rules()
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes)) >= 17
    for r in rules:
        assert r.severity in Finding.Severity.values
        assert r.title and len(r.title) < 80
        assert len(r.description) > 60 and "  " not in r.description
    assert next(r for r in rules if r.code == "RATE-001").severity == Finding.Severity.ERROR


def test_the_rules_page_lists_every_rule(world, client_for):
    page = client_for(world.own.users[Role.BOROUGH_SUBMITTER]).get(reverse("returns:rules"))
    assert page.status_code == 200
    for r in all_rules():
        assert f'id="rule-{r.code}"' in page.content.decode()


def test_a_complete_good_return_has_no_findings(world, ret):
    add_row(ret, world.own)
    fill_workforce(ret, world.own, agency_headcount={"social-worker": 1})
    assert validate(ret) == []


# --- Within the row: each case breaks one rule; the passing case is the nearest thing that does not ----

ROW_CASES = [
    # code, field the finding names, values that break the rule, values just inside it
    ("ROW-001", "hourly_charge_rate", {"hourly_charge_rate": None}, {"hourly_charge_rate": Decimal("35.00")}),
    ("ROW-001", "role", {"role": None}, {"role": None, "local_role": "local"}),
    ("ROW-001", "registration_number", {"registration_number": ""}, {"registration_number": "SW1"}),
    ("ROW-001", "reference_received", {"reference_received": None}, {"reference_received": False}),
    ("ROW-001", "pqe_years", {"pqe_years": None}, {"pqe_years": Decimal("0")}),
    ("ROW-001", "notice_period_weeks", {"notice_period_weeks": None}, {"notice_period_weeks": 0}),
    ("ROW-002", "registration_number", {"registration_number": "AB123456"}, {"registration_number": "sw 123456"}),
    ("ROW-002", "registration_number", {"registration_number": "SW12X"}, {"registration_number": "SW12"}),
    (
        "ROW-003",
        "end_date",
        {"start_date": date(2026, 8, 1), "end_date": date(2026, 7, 31)},
        {"start_date": date(2026, 8, 1), "end_date": date(2026, 8, 1)},
    ),
    ("ROW-004", "start_date", {"start_date": date(2026, 10, 1)}, {"start_date": date(2026, 9, 30)}),
    ("ROW-004", "end_date", {"end_date": date(2026, 6, 30)}, {"end_date": date(2026, 7, 1)}),
    ("ROW-005", "hourly_charge_rate", {"hourly_charge_rate": Decimal("34.99")}, {"hourly_charge_rate": Decimal("35")}),
    ("RATE-001", "hourly_pay_rate", {"hourly_pay_rate": Decimal("36.41")}, {"hourly_pay_rate": Decimal("36.40")}),
    (
        "RATE-001",
        "hourly_pay_rate",
        {"engagement_type": "paye", "hourly_pay_rate": Decimal("31.86")},
        {"engagement_type": "paye", "hourly_pay_rate": Decimal("31.85")},
    ),
    ("RATE-002", "hourly_pay_rate", {"start_date": date(2026, 3, 31)}, {"start_date": date(2026, 4, 1)}),
    ("PQE-001", "pqe_years", {"pqe_years": Decimal("2.9")}, {"pqe_years": Decimal("3.0")}),
    ("NOTICE-001", "notice_period_weeks", {"notice_period_weeks": 5}, {"notice_period_weeks": 4}),
    ("REF-001", "reference_received", {"reference_received": False}, {"reference_received": True}),
]


def _values(side, values: dict) -> dict:
    if values.get("local_role") == "local":
        values = {
            **values,
            "local_role": LocalRole.objects.create(
                region=side.region,
                code="principal-sw",
                name="Principal social worker",
                core=RoleCategory.objects.get(code="advanced-practitioner"),
            ),
        }
    return values


@pytest.mark.parametrize(("code", "field", "breaks", "passes"), ROW_CASES)
def test_row_rule_finds_what_breaks_it(world, ret, code, field, breaks, passes):
    row = add_row(ret, world.own, **_values(world.own, breaks))
    findings = [f for f in found(ret, code) if f.field == field]
    assert len(findings) == 1
    finding = findings[0]
    assert finding.assignment_id == row.pk and finding.position == row.position == 1
    assert finding.severity == next(r.severity for r in all_rules() if r.code == code)
    assert finding.message.endswith(".") and len(finding.message) > 30


@pytest.mark.parametrize(("code", "field", "breaks", "passes"), ROW_CASES)
def test_row_rule_lets_the_nearest_good_row_pass(world, ret, code, field, breaks, passes):
    add_row(ret, world.own, **_values(world.own, passes))
    assert [f for f in found(ret, code) if f.field == field] == []


def test_missing_fields_are_named_one_by_one(world, ret):
    add_row(
        ret,
        world.own,
        registration_number="",
        role=None,
        agency_name="",
        engagement_type="",
        start_date=None,
        hourly_pay_rate=None,
        hourly_charge_rate=None,
        pqe_years=None,
        notice_period_weeks=None,
        reference_received=None,
    )
    findings = found(ret, "ROW-001")
    assert {f.field for f in findings} == {
        "registration_number",
        "role",
        "agency_name",
        "engagement_type",
        "start_date",
        "hourly_pay_rate",
        "hourly_charge_rate",
        "pqe_years",
        "notice_period_weeks",
        "reference_received",
    }
    assert all(f.key.startswith("ROW-001:row-1::") for f in findings)


# --- Against the rate cards -------------------------------------------------------------------------


def test_over_the_cap_says_by_how_much_and_how_to_fix_it(world, ret):
    add_row(ret, world.own, hourly_pay_rate=Decimal("40.00"))
    (finding,) = found(ret, "RATE-001")
    assert "£40.00 an hour is £3.60" in finding.message and "£36.40 cap" in finding.message
    assert "sign off" in finding.message


def test_a_local_role_is_checked_against_its_own_cap(world, ret):
    local = LocalRole.objects.create(
        region=world.own.region,
        code="principal-sw",
        name="Principal social worker",
        core=RoleCategory.objects.get(code="advanced-practitioner"),
    )
    add_row(ret, world.own, role=None, local_role=local, hourly_pay_rate=Decimal("40.00"))
    assert found(ret, "RATE-001") == []  # within advanced practitioners' £41.60
    add_row(ret, world.own, registration_number="SW9", role=None, local_role=local, hourly_pay_rate=Decimal("42"))
    (finding,) = found(ret, "RATE-001")
    assert "Principal social worker" in finding.message and finding.position == 2


def test_a_signed_off_breach_passes_until_the_rate_goes_above_what_was_signed(world, ret):
    side = world.own
    row = add_row(ret, side, hourly_pay_rate=Decimal("40.00"))
    services.sign_off_row_breach(
        ret=ret,
        by=side.users[Role.BOROUGH_APPROVER],
        assignment=row,
        reason="No other candidate for the court team",
        signed_by_title="Director of Children's Services",
        chief_executive="A. Chief",
    )
    assert found(ret, "RATE-001") == []
    row.refresh_from_db()
    ret.refresh_from_db()
    services.save_assignment(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        values=good_row(side, hourly_pay_rate=Decimal("41.00"), breach_sign_off=row.breach_sign_off),
        assignment=row,
    )
    (finding,) = found(ret, "RATE-001")
    assert "signed off at £40.00" in finding.message


def test_no_card_for_the_start_date_is_a_query_with_the_rate_checks_reason(world, ret):
    add_row(ret, world.own, start_date=date(2026, 3, 2))
    (finding,) = found(ret, "RATE-002")
    assert finding.severity == Finding.Severity.QUERY
    assert "No Own region rate card covers 02 March 2026" in finding.message


# --- Cool-off ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "start", "breaks"),
    [
        (date(2026, 1, 10), date(2026, 5, 4), True),
        (date(2025, 11, 5), date(2026, 5, 4), True),  # one day short of 6 months
        (date(2025, 11, 4), date(2026, 5, 4), False),  # 6 months to the day
        (date(2025, 8, 31), date(2026, 2, 28), False),  # 31 August + 6 months is the end of February
    ],
)
def test_cool_off_after_leaving_another_borough_of_the_region(world, ret, left, start, breaks):
    add_row(ret, world.own, previous_employer=world.own.msp_borough, left_previous_on=left, start_date=start)
    findings = found(ret, "COOL-001")
    assert len(findings) == (1 if breaks else 0)
    if breaks:
        assert findings[0].severity == Finding.Severity.QUERY
        assert world.own.msp_borough.name in findings[0].message  # the borough's own data: it may see it


def test_cool_off_window_is_the_periods_setting(world):
    side = world.own
    period = open_period(side)
    period.cool_off_months = 3
    period.save(update_fields=["cool_off_months"])
    ret = draft_return(side, period=period)
    add_row(
        ret, side, previous_employer=side.msp_borough, left_previous_on=date(2026, 2, 4), start_date=date(2026, 5, 4)
    )
    assert found(ret, "COOL-001") == []


def test_the_pledge_cool_off_does_not_apply_to_the_same_borough_or_another_region(world, ret):
    add_row(ret, world.own, previous_employer=world.own.borough, left_previous_on=date(2026, 4, 1))
    add_row(
        ret,
        world.own,
        registration_number="SW2",
        previous_employer=world.other.borough,
        left_previous_on=date(2026, 4, 1),
    )
    assert found(ret, "COOL-001") == []
    assert [f.position for f in found(ret, "COOL-003")] == [1]  # the DfE's rule covers the borough's own leaver


@pytest.mark.parametrize(
    ("left", "breaks"),
    [
        (date(2026, 3, 1), True),  # two months before the start
        (date(2026, 2, 5), True),  # one day short of 3 months
        (date(2026, 2, 4), False),  # 3 months to the day
        (date(2025, 12, 1), False),
    ],
)
def test_the_dfe_cool_off_covers_the_boroughs_own_leavers(world, ret, left, breaks):
    add_row(ret, world.own, previous_employer=world.own.borough, left_previous_on=left, start_date=date(2026, 5, 4))
    findings = found(ret, "COOL-003")
    assert len(findings) == (1 if breaks else 0)
    if breaks:
        assert "DfE's 3-month cool-off" in findings[0].message and findings[0].severity == Finding.Severity.QUERY


def test_each_cool_off_is_the_periods_own_setting_and_the_longer_applies_elsewhere(world):
    side = world.own
    period = open_period(side)
    period.cool_off_months, period.dfe_cool_off_months = 2, 4  # a region whose Pledge is shorter than the law
    period.save(update_fields=["cool_off_months", "dfe_cool_off_months"])
    ret = draft_return(side, period=period)
    start = date(2026, 5, 4)
    add_row(ret, side, previous_employer=side.msp_borough, left_previous_on=date(2026, 2, 1), start_date=start)
    add_row(
        ret,
        side,
        registration_number="SW2",
        previous_employer=side.borough,
        left_previous_on=date(2026, 1, 10),
        start_date=start,
    )
    (elsewhere,) = found(ret, "COOL-001")
    assert "the DfE's 4-month cool-off" in elsewhere.message  # 3 months after leaving: past 2, within 4
    (own,) = found(ret, "COOL-003")
    assert own.position == 2 and "4-month" in own.message


def test_a_period_opened_without_a_dfe_cool_off_uses_the_statutory_three_months(world, client_for):
    from returns.models import ReportingPeriod

    client = client_for(world.own.users[Role.REGIONAL_ANALYST])
    posted = client.post(
        reverse("returns:period-create"),
        {"starts_on": "01/10/2026", "deadline": "15/01/2027", "locks_on": "31/01/2027", "cool_off_months": "6"},
    )
    assert posted.status_code == 302, posted.content.decode()[:2000]
    period = ReportingPeriod.objects.get(region=world.own.region, starts_on=date(2026, 10, 1))
    assert (period.cool_off_months, period.dfe_cool_off_months) == (6, 3)


def test_a_previous_borough_without_a_leaving_date_is_queried(world, ret):
    add_row(ret, world.own, previous_employer=world.own.msp_borough, left_previous_on=None)
    add_row(
        ret,
        world.own,
        registration_number="SW2",
        previous_employer=world.own.msp_borough,
        left_previous_on=date(2025, 1, 1),
    )
    (finding,) = found(ret, "COOL-002")
    assert finding.position == 1 and finding.field == "left_previous_on"


def test_add_months_keeps_the_day_or_the_months_last_day():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 4), 6) == date(2026, 5, 4)
    assert add_months(date(2026, 9, 30), 3) == date(2026, 12, 30)


# --- Across the return ------------------------------------------------------------------------------


def test_the_same_worker_on_overlapping_rows_is_an_error_on_each(world, ret):
    add_row(ret, world.own, registration_number="SW1", start_date=date(2026, 5, 4))
    add_row(ret, world.own, registration_number="SW1", start_date=date(2026, 8, 1))
    findings = found(ret, "DUP-001")
    assert sorted(f.position for f in findings) == [1, 2]
    assert "also on row 2" in next(f for f in findings if f.position == 1).message


def test_the_same_worker_on_consecutive_rows_is_fine(world, ret):
    add_row(ret, world.own, registration_number="SW1", start_date=date(2026, 5, 4), end_date=date(2026, 7, 31))
    add_row(ret, world.own, registration_number="SW1", start_date=date(2026, 8, 1))
    add_row(ret, world.own, registration_number="SW2", start_date=date(2026, 5, 4))
    assert found(ret, "DUP-001") == []


def test_missing_workforce_figures_are_errors_per_role_and_for_the_return(world, ret):
    findings = found(ret, "AGG-001")
    assert len(findings) == RoleCategory.objects.count() + 2
    assert all(f.severity == Finding.Severity.ERROR and f.position is None for f in findings)
    spend = next(f for f in findings if f.field == "agency_spend")
    assert "July, August and September" in spend.message


def test_filled_in_workforce_figures_pass(world, ret):
    fill_workforce(ret, world.own)
    assert found(ret, "AGG-001") == []


def test_agency_headcount_is_compared_with_rows_active_at_quarter_end(world, ret):
    side = world.own
    add_row(ret, side, registration_number="SW1")
    add_row(ret, side, registration_number="SW2", end_date=date(2026, 9, 29))  # gone by 30 September
    fill_workforce(ret, side, agency_headcount={"social-worker": 2})
    (finding,) = found(ret, "AGG-002")
    assert finding.field == "agency_headcount" and "1 row is active on 30 September 2026" in finding.message
    fill_workforce(ret, side, agency_headcount={"social-worker": 1})
    assert found(ret, "AGG-002") == []


# --- Against the previous return --------------------------------------------------------------------


def _previous_return(side, *, status=Return.Status.ACCEPTED, spend=Decimal("10000")):
    april = open_period(side, starts_on=date(2026, 4, 1))
    previous = draft_return(side, period=april)
    fill_workforce(previous, side, spend=spend, agency_headcount={"social-worker": 4})
    # Set directly: the workflow that gets a return accepted is tested in test_workflow.
    Return.objects.filter(pk=previous.pk).update(status=status)
    return draft_return(side, with_card=False)


def test_a_big_change_from_the_previous_quarter_is_queried(world):
    ret = _previous_return(world.own)
    fill_workforce(ret, world.own, spend=Decimal("13000"), agency_headcount={"social-worker": 5})
    (finding,) = found(ret, "TREND-001")
    assert finding.field == "agency_spend" and "rose by 30%" in finding.message
    fill_workforce(ret, world.own, spend=Decimal("10000"), agency_headcount={"social-worker": 2})
    (finding,) = found(ret, "TREND-001")
    assert finding.field == "agency_headcount" and "fell by 50%, from 4" in finding.message


def test_a_change_within_a_quarter_passes(world):
    ret = _previous_return(world.own)
    fill_workforce(ret, world.own, spend=Decimal("12500"), agency_headcount={"social-worker": 5})
    assert found(ret, "TREND-001") == []


def test_a_previous_draft_is_not_compared(world):
    ret = _previous_return(world.own, status=Return.Status.DRAFT)
    fill_workforce(ret, world.own, spend=Decimal("50000"))
    assert found(ret, "TREND-001") == []


# --- Across boroughs --------------------------------------------------------------------------------


def neighbour_return(side, *, period=None) -> Return:
    """The return of another reporting unit in the same region (the borough the side's MSP serves)."""
    unit_of(side)
    return services.start_return(
        unit=unit_of_borough(side.msp_borough), period=period or open_period(side), by=side.users[Role.MSP_USER]
    )


def unit_of_borough(borough):
    from returns.models import ReportingUnit

    return ReportingUnit.objects.get(boroughs=borough)


def add_neighbour_row(ret: Return, side, **overrides):
    ret.refresh_from_db()
    return services.save_assignment(
        ret=ret,
        by=side.users[Role.MSP_USER],
        expected_revision=ret.revision,
        values=good_row(side, borough=side.msp_borough, **overrides),
    )


def test_a_worker_another_borough_reports_for_overlapping_dates_is_queried_anonymously(world, ret):
    side = world.own
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 5, 4), end_date=date(2026, 8, 31))
    neighbour = neighbour_return(side, period=ret.period)
    add_neighbour_row(
        neighbour, side, registration_number="SW777", start_date=date(2026, 7, 1), hourly_pay_rate=Decimal("33.33")
    )
    (finding,) = found(ret, "CROSS-001")
    assert finding.severity == Finding.Severity.QUERY and finding.position == 1
    assert "from 1 July 2026 to 31 August 2026" in finding.message
    assert side.msp_borough.name not in finding.message
    assert "33.33" not in finding.message and side.msp.name not in finding.message


def test_a_worker_another_borough_reported_before_this_assignment_passes(world, ret):
    side = world.own
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 5, 4))
    neighbour = neighbour_return(side, period=ret.period)
    add_neighbour_row(
        neighbour, side, registration_number="SW777", start_date=date(2026, 1, 5), end_date=date(2026, 5, 3)
    )
    add_neighbour_row(neighbour, side, registration_number="SW778", start_date=date(2026, 5, 4))
    assert found(ret, "CROSS-001") == []


def test_only_the_latest_report_of_another_boroughs_assignment_counts(world):
    side = world.own
    april = open_period(side, starts_on=date(2026, 4, 1))
    earlier = neighbour_return(side, period=april)
    draft_card_once = draft_return(side, period=april)  # also publishes the rate card
    add_neighbour_row(earlier, side, registration_number="SW777", start_date=date(2026, 1, 5))  # open in April
    july = open_period(side)
    later = neighbour_return(side, period=july)  # carries SW777 forward, still open
    row = later.assignments.get(registration_number="SW777")
    later.refresh_from_db()
    services.end_assignment(
        ret=later,
        by=side.users[Role.MSP_USER],
        expected_revision=later.revision,
        assignment=row,
        end_date=date(2026, 7, 10),
    )
    ret = services.start_return(unit=draft_card_once.unit, period=july, by=side.users[Role.BOROUGH_SUBMITTER])
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 8, 1))
    assert found(ret, "CROSS-001") == []
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 7, 10), end_date=date(2026, 7, 31))
    (finding,) = found(ret, "CROSS-001")
    assert "from 10 July 2026 to 10 July 2026" in finding.message


def test_another_boroughs_row_left_out_of_its_later_return_ended_with_the_earlier_quarter(world):
    side = world.own
    april = open_period(side, starts_on=date(2026, 4, 1))
    earlier = neighbour_return(side, period=april)
    add_neighbour_row(earlier, side, registration_number="SW777", start_date=date(2026, 1, 5))  # left open
    july = open_period(side)
    later = neighbour_return(side, period=july)
    later.refresh_from_db()
    services.remove_assignment(  # not active in July to September after all
        ret=later,
        by=side.users[Role.MSP_USER],
        expected_revision=later.revision,
        assignment=later.assignments.get(registration_number="SW777"),
    )
    ret = draft_return(side, period=july)
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 7, 1))
    assert found(ret, "CROSS-001") == []
    add_row(ret, side, registration_number="SW777", start_date=date(2026, 6, 1), end_date=date(2026, 6, 30))
    (finding,) = found(ret, "CROSS-001")
    assert finding.position == 2 and "from 1 June 2026 to 30 June 2026" in finding.message


def test_the_units_own_earlier_returns_and_other_regions_are_not_compared(world):
    side = world.own
    april = open_period(side, starts_on=date(2026, 4, 1))
    previous = draft_return(side, period=april)
    add_row(previous, side, registration_number="SW777", start_date=date(2026, 5, 4))
    ret = draft_return(side, with_card=False)  # SW777 carried forward
    other = draft_return(world.other)
    add_row(other, world.other, registration_number="SW777", start_date=date(2026, 5, 4))
    assert found(ret, "CROSS-001") == []
