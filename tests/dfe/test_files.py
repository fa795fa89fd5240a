"""A borough's DfE return and census items, built from hand-made rows and read back with openpyxl: what must be
reported as a breach is, with who agreed and when; what must not, is not; and every sheet renders blank."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dfe import files, mapping
from dfe.content import build_content
from pledge_portal.accounts.roles import Role
from rates.models import RoleCategory
from returns.models import Assignment, ReportingUnit, Return
from tests.rates.helpers import publish_card
from tests.returns.helpers import open_period, unit_of

from .helpers import a_return, agree_pqe, explain, read_csv, records, row, sign_off
from .helpers import sheets as workbook


@pytest.fixture
def borough_return(world):
    """One borough's return with a row for every case that must, and must not, be a breach."""
    side = world.own
    ret = a_return(side, agency_spend_month_1=Decimal("1000.50"), agency_spend_month_2=Decimal("2000.00"))
    row(ret, side, 1)  # breaks nothing
    row(ret, side, 2, hourly_pay_rate=Decimal("40.00"))  # over the £36.40 cap, no sign-off
    sign_off(side, row(ret, side, 3, hourly_pay_rate=Decimal("41.00")), rate="41.00", on=date(2026, 4, 28))
    sign_off(side, row(ret, side, 4, hourly_pay_rate=Decimal("36.00")), rate="41.00")  # signed off, yet within cap
    agree_pqe(side, row(ret, side, 5, pqe_years=Decimal("2.0")))
    row(ret, side, 6, pqe_years=Decimal("3.0"))  # exactly the minimum
    seven = row(ret, side, 7, notice_period_weeks=6)
    explain(ret, seven, "NOTICE-001", "Contract agreed before the guidance")
    # Left another borough of the region 4 months before: the Pledge's 6 months, not the DfE's 3.
    row(ret, side, 8, previous_employer=side.msp_borough, left_previous_on=date(2026, 1, 4))
    row(ret, side, 9, previous_employer=side.borough, left_previous_on=date(2026, 4, 4))  # own leaver, 1 month
    eleven = row(ret, side, 10, reference_received=False)
    explain(ret, eleven, "REF-001", '=HYPERLINK("http://evil.test")')  # a formula-like explanation
    # Over the Pledge's cap of the time, but it started before DfE's caps applied (1 October 2025).
    publish_card(
        side.region,
        side.users[Role.REGIONAL_ANALYST],
        effective_from=date(2025, 4, 1),
        effective_to=date(2026, 3, 31),
        title="Earlier",
    )
    row(ret, side, 11, start_date=date(2025, 6, 2), hourly_pay_rate=Decimal("50.00"))
    row(ret, side, 12, project_team=True, end_date=date(2026, 9, 1))  # ended before 30 September
    # Another borough of the same region: never in this borough's file.
    theirs = a_return_for(side, side.msp_borough, ret.period)
    row(theirs, side, 1, borough=side.msp_borough, registration_number="SW999999", hourly_pay_rate=Decimal("60"))
    return ret


def a_return_for(side, borough, period) -> Return:
    unit = ReportingUnit.objects.get(boroughs=borough)
    return Return.objects.create(unit=unit, period=period, created_by=side.users[Role.MSP_USER])


def test_breaches_are_the_rows_that_break_a_statutory_rule_and_no_others(world, borough_return):
    content = build_content(borough_return.period, borough=world.own.borough)
    book = workbook(files.workbook(content))
    found = {(r["Rule"], r["Row"]) for r in records(book["Breaches"])}
    assert found == {
        ("Price caps", 2),
        ("Price caps", 3),
        ("Post-qualifying experience", 5),
        ("Notice periods", 7),
        ("Cool-off", 9),
        ("References", 10),
    }
    assert "SW999999" not in str([list(r) for r in book["Assignments"].values])


def test_each_breach_says_who_agreed_and_when(world, borough_return):
    content = build_content(borough_return.period, borough=world.own.borough)
    by_row = {(r["Rule"], r["Row"]): r for r in records(workbook(files.workbook(content))["Breaches"])}
    agreed = by_row[("Price caps", 3)]
    approver = world.own.users[Role.BOROUGH_APPROVER]
    assert agreed["Agreed by DCS and Chief Executive"] == "Y"
    assert agreed["Director of Children's Services (who agreed)"] == (approver.get_full_name() or approver.email)
    assert agreed["Their job title"] == "Director of Children's Services"
    assert agreed["Chief Executive (who agreed)"] == "Chris Chief"
    assert agreed["Date agreed"].date() == date(2026, 4, 28)
    assert agreed["Price cap (£)"] == 36.4 and agreed["Amount over the cap (£)"] == 4.6
    assert agreed["Reason or explanation"] == "Hard to fill"
    unagreed = by_row[("Price caps", 2)]
    assert unagreed["Agreed by DCS and Chief Executive"] == "N" and unagreed["Date agreed"] is None
    assert "no sign-off recorded" in unagreed["What was broken"]
    assert by_row[("Post-qualifying experience", 5)]["Agreed by DCS and Chief Executive"] == "Y"
    # Rules without an agreement in the guidance leave the column blank, and carry the borough's explanation.
    notice = by_row[("Notice periods", 7)]
    assert notice["Agreed by DCS and Chief Executive"] is None
    assert notice["Reason or explanation"] == "Contract agreed before the guidance"
    # Text typed as a formula is text in the file.
    assert by_row[("References", 10)]["Reason or explanation"].startswith("'=HYPERLINK")


def test_compliance_per_rule_with_the_explanations_given(world, borough_return):
    content = build_content(borough_return.period, borough=world.own.borough)
    book = workbook(files.workbook(content))
    rules = {r["Rule"]: r for r in records(book["Compliance"])}
    assert list(rules) == [rule.heading for rule in mapping.RULES]
    cap = rules["Price caps"]
    # Row 11 started before the caps applied; the other 11 rows are in scope, 2 over the cap.
    assert (cap["Assignments in scope"], cap["Compliant"], cap["Not compliant"]) == (11, 9, 2)
    assert cap["Not compliant, agreed by DCS and Chief Executive"] == 1
    assert cap["Degree of compliance"] == "Partial"
    assert cap["Assignments compliant (%)"] == pytest.approx(9 / 11, abs=0.001)
    assert "Row 3 (SW000003): Hard to fill" in cap["Explanation of non-compliance"]
    assert "1 not explained" in cap["Explanation of non-compliance"]
    assert rules["Notice periods"]["Explanation of non-compliance"] == (
        "Row 7 (SW000007): Contract agreed before the guidance"
    )
    assert rules["Cool-off"]["Not compliant"] == 1  # row 8 keeps the DfE's 3 months
    assert rules["Project teams and packaged models"]["Degree of compliance"] == "Not known"
    assert rules["Project teams and packaged models"]["Assignments in scope"] == 1
    assert all(r["Return status"] == "Draft" for r in rules.values())


def test_agencies_spend_and_assignments(world, borough_return):
    side = world.own
    content = build_content(borough_return.period, borough=side.borough)
    book = workbook(files.workbook(content))
    [agency] = records(book["Agencies"])
    assert agency["Agency"] == side.agency.name and agency["On the agency register"] == "Y"
    assert agency["Assignments not compliant"] == 6 and agency["Assignments in the quarter"] == 12
    assert agency["Rules affected"] == "Price caps, Notice periods, Cool-off, Post-qualifying experience, References"
    spend = records(book["Monthly spend"])
    assert [(s["Month"], s["Agency spend (£)"]) for s in spend] == [
        ("July 2026", 1000.5),
        ("August 2026", 2000),
        ("September 2026", None),
    ]
    assignments = records(book["Assignments"])
    assert len(assignments) == 12
    first = assignments[0]
    assert (first["LA code"], first["Role type"], first["Payment route"], first["Price cap breach"]) == (
        side.borough.dfe_code,
        "social_worker",
        "umbrella",
        "N",
    )
    assert assignments[2]["Breach signed off on"].date() == date(2026, 4, 28)
    assert [a["Price cap breach"] for a in assignments[1:4]] == ["Y", "Y", "N"]  # row 4: signed off, within cap
    # Row 11 is over the cap of its start date, but started before DfE's caps applied: not a breach.
    assert (assignments[10]["Price cap (£)"], assignments[10]["Price cap breach"]) == (36.4, None)
    csv_rows = read_csv(files.assignments_csv(content))
    assert csv_rows[0] == [f.heading for f in mapping.ASSIGNMENTS.fields]
    assert len(csv_rows) == 13 and csv_rows[1][4] == "SW000001"


def test_the_file_says_which_returns_it_holds_and_their_status(world, borough_return):
    content = build_content(borough_return.period, borough=world.own.borough)
    book = workbook(files.workbook(content))
    readme = list(book["README"].values)
    coverage = next(r[1] for r in readme if r[0] == "Coverage")
    assert coverage.startswith("0 of 1 borough’s returns accepted") and "Own Borough (Draft)" in coverage
    assert (world.own.borough.name, "Draft (not yet accepted)") in [tuple(r[:2]) for r in readme]
    [line] = records(book["Coverage"])
    assert (line["Return status"], line["Accepted by the region"], line["Assignments"]) == ("Draft", "N", 12)
    mapping_rows = records(book["Mapping"])
    assert {r["Certainty"] for r in mapping_rows} == {c.label for c in mapping.Certainty}


def test_census_items_at_30_september(world, borough_return):
    side = world.own
    from returns.models import WorkforceLine

    WorkforceLine.objects.update_or_create(
        ret=borough_return,
        role=RoleCategory.objects.get(code="social-worker"),
        defaults={"agency_fte": Decimal("10.50"), "agency_headcount": 12, "vacancies_fte": Decimal("7.25")},
    )
    book = workbook(files.workbook(build_content(borough_return.period, borough=side.borough)))
    [la] = records(book["Census LA level"])
    # 12 rows, one ended on 1 September: 11 workers in post on 30 September.
    assert (la["NoAgencyHeadcount"], la["NoAgencyFTE"], la["NumberOfVacancies"]) == (11, 10.5, 7.25)
    assert la["Reference date"].date() == date(2026, 9, 30)
    roles = {r["Role type"]: r for r in records(book["Census by role"])}
    assert roles["social_worker"]["Agency workers in post"] == 11 and roles["social_worker"]["OrgRole"] == "5"
    assert roles["team_manager"]["Agency workers in post"] == 0 and roles["team_manager"]["Agency FTE"] is None
    workers = records(book["Census agency workers"])
    assert len(workers) == 11 and {w["AgencyWorker"] for w in workers} == {"1"}
    assert "SW000012" not in {w["SWENo"] for w in workers}


def test_no_census_sheets_outside_the_census_quarter(world):
    side = world.own
    ret = a_return(side, period=open_period(side, starts_on=date(2026, 4, 1)))
    row(ret, side, 1)
    book = workbook(files.workbook(build_content(ret.period, borough=side.borough)))
    assert not any(name.startswith("Census") for name in book.sheetnames)
    assert "30 September" in str(list(book["README"].values))


def test_every_sheet_renders_with_every_optional_field_blank(world):
    side = world.own
    ret = a_return(side)
    Assignment.objects.create(ret=ret, position=1, borough=side.borough)  # nothing else filled in
    explain(ret, Assignment.objects.get(ret=ret), "REF-001", "")  # an empty explanation
    content = build_content(ret.period, borough=side.borough)
    book = workbook(files.workbook(content))
    assert book.sheetnames == ["README", *[s.title for s in files.sheets_for(content)], "Mapping"]
    [blank] = records(book["Assignments"])
    assert blank["SWE registration number"] is None and blank["Role type"] is None and blank["Payment route"] is None
    assert records(book["Breaches"]) == []
    levels = {r["Rule"]: r["Degree of compliance"] for r in records(book["Compliance"])}
    assert levels["Price caps"] == "Not known"
    assert levels["Project teams and packaged models"] == "No assignments in scope"
    assert records(book["Census agency workers"]) == []  # with no start date, not known to be in post
    read_csv(files.assignments_csv(content))


def test_a_borough_with_no_return_gets_an_empty_file_that_says_so(world):
    side = world.own
    period = open_period(side)
    unit_of(side)
    content = build_content(period, borough=side.borough)
    book = workbook(files.workbook(content))
    assert "No return started" in next(r[1] for r in book["README"].values if r[0] == "Coverage")
    assert records(book["Assignments"]) == []
    assert [r["Agency spend (£)"] for r in records(book["Monthly spend"])] == [None, None, None]
    [la] = records(book["Census LA level"])
    assert la["Note"] == "No return for this period." and la["NoAgencyHeadcount"] == 0


def test_a_joint_return_gives_each_borough_its_own_rows(world):
    side = world.own
    unit = ReportingUnit.objects.create(region=side.region, name="Joint unit")
    unit.boroughs.add(side.borough, side.msp_borough)
    ret = a_return(side, agency_spend_month_1=Decimal("500"))
    assert ret.unit == unit
    row(ret, side, 1)
    row(ret, side, 2, borough=side.msp_borough, registration_number="SW777777")
    mine = workbook(files.workbook(build_content(ret.period, borough=side.borough)))
    assert [r["SWE registration number"] for r in records(mine["Assignments"])] == ["SW000001"]
    spend = records(mine["Monthly spend"])[0]
    assert "joint with Own MSP Borough" in spend["Reported in the return of"]


def test_building_costs_the_same_queries_whatever_the_number_of_rows(world, borough_return):
    side = world.own
    period = borough_return.period

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            files.workbook(build_content(period))
        return len(queries)

    count()  # the caps and the code tables are read once per process
    before = count()
    for position in range(20, 40):
        row(borough_return, side, position, hourly_pay_rate=Decimal("44.00"), pqe_years=Decimal("1.0"))
    assert count() == before
