"""A return as a workbook: the template download, reading an upload back, and loading it into the draft."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.core.excel import DATE, MONEY
from rates.models import LocalRole, RoleCategory
from returns import services, spreadsheets
from returns.models import Assignment, ReportingUnit, Return
from tests import raw_workbooks
from tests.factories import BoroughFactory

from .helpers import add_row, draft_return, good_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = spreadsheets.HEADERS


@pytest.fixture
def submitter(world):
    return world.own.users[Role.BOROUGH_SUBMITTER]


@pytest.fixture
def ret(world):
    return draft_return(world.own)


def upload(content: bytes, name: str = "return.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def open_book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


def edited(content: bytes, change) -> bytes:
    """The workbook with ``change(ws)`` made to its Assignments sheet, as a person would in Excel."""
    workbook = open_book(content)
    change(workbook["Assignments"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_of(ret: Return) -> list[dict]:
    return [{name: getattr(row, name) for name in Assignment.INPUT_FIELDS} for row in ret.assignments.all()]


def state_of(ret: Return) -> tuple:
    """What an upload must not change when it is refused: the rows, their count and the revision."""
    ret.refresh_from_db()
    return ret.assignments.count(), ret.revision, rows_of(ret)


def import_upload(ret: Return, by, content: bytes, *, mode: str = "merge", name: str = "return.xlsx") -> dict:
    """The upload's counts of rows (the other sheets' counts are tested in test_section_sheets.py)."""
    ret.refresh_from_db()
    counts = spreadsheets.import_upload(
        ret=ret, by=by, uploaded_file=upload(content, name), mode=mode, expected_revision=ret.revision
    )
    return {name: counts[name] for name in ("added", "updated", "removed")}


@pytest.fixture
def local_role(world):
    return LocalRole.objects.create(
        region=world.own.region,
        code="principal-social-worker",
        name="Principal social worker",
        core=RoleCategory.objects.get(code="advanced-practitioner"),
    )


@pytest.fixture
def filled(world, ret, local_role):
    """A draft with rows that use every kind of value, blanks included."""
    own = world.own
    neighbour = BoroughFactory(name="Neighbour Borough", region=own.region)
    add_row(ret, own)
    add_row(
        ret,
        own,
        registration_number="SW300400",
        role=local_role.core,
        local_role=local_role,
        agency_name='=HYPERLINK("http://evil.example","click")',
        engagement_type="limited-company",
        start_date=date(2026, 1, 12),
        end_date=date(2026, 8, 28),
        hourly_pay_rate=Decimal("38.45"),
        hourly_charge_rate=Decimal("47.10"),
        project_team=True,
        pqe_years=Decimal("12.5"),
        previous_employer=neighbour,
        left_previous_on=date(2025, 3, 31),
        reference_received=None,
        notice_period_weeks=2,
    )
    add_row(  # a half-finished row: validation, not the upload, reports what is missing
        ret,
        own,
        registration_number="",
        role=None,
        agency_name="",
        engagement_type="",
        start_date=None,
        hourly_pay_rate=None,
        hourly_charge_rate=None,
        pqe_years=None,
        reference_received=False,
        notice_period_weeks=None,
    )
    ret.refresh_from_db()
    return ret


# The template


def test_the_template_has_a_column_for_every_input_field_in_order():
    assert [column.field for column in spreadsheets.COLUMNS] == list(Assignment.INPUT_FIELDS)


def test_template_lists_the_rows_under_human_headings_with_formats(filled):
    ws = open_book(spreadsheets.template_workbook(filled))["Assignments"]
    assert [c.value for c in ws[1]] == HEADER
    assert HEADER[:3] == ["Borough", "Registration number", "Role"]
    assert ws.max_row == 4
    second = {HEADER[i]: cell for i, cell in enumerate(ws[3])}
    assert second["Borough"].value == "Own Borough"
    assert second["Role"].value == "advanced-practitioner"
    assert second["Local role"].value == "principal-social-worker"
    assert second["Start date"].value.date() == date(2026, 1, 12)
    assert second["Start date"].number_format == DATE
    assert second["Hourly pay rate (£)"].value == pytest.approx(38.45)
    assert second["Hourly pay rate (£)"].number_format == MONEY
    assert second["Project team"].value == "Yes"
    assert second["Previous permanent employer"].value == "Neighbour Borough"
    assert second["References received"].value is None
    assert ws.freeze_panes == "A2"


def test_template_offers_drop_down_lists_for_coded_fields(world, filled, local_role):
    workbook = open_book(spreadsheets.template_workbook(filled))
    ws, lists = workbook["Assignments"], workbook["Lists"]
    assert lists.sheet_state == "hidden"
    by_column = {}
    for validation in ws.data_validations.dataValidation:
        for ref in validation.sqref.ranges:
            by_column[HEADER[ref.min_col - 1]] = validation
    assert str(by_column["Role"].sqref) == f"C2:C{spreadsheets.MAX_ROWS + 1}"

    def options(header):
        validation = by_column[header]
        assert validation.type == "list" and validation.showErrorMessage
        sheet, cells = validation.formula1.split("!")
        assert sheet == "Lists"
        return [c.value for row in lists[cells.replace("$", "")] for c in row]

    core = list(RoleCategory.objects.values_list("code", flat=True))
    assert options("Role") == [*core, "principal-social-worker"]
    assert options("Local role") == ["principal-social-worker"]
    assert options("Engagement type") == ["paye", "umbrella", "limited-company"]
    assert options("Borough") == ["Own Borough"]
    assert set(options("Previous permanent employer")) == {"Own Borough", "Own MSP Borough", "Neighbour Borough"}
    assert options("Project team") == options("References received") == ["Yes", "No"]
    assert world.own.agency.name in options("Agency")  # the register, offered
    assert by_column["Agency"].errorStyle == "information"  # another name may still be typed; the check asks
    assert by_column["Start date"].type == "date"
    assert by_column["Hourly pay rate (£)"].type == "decimal"
    assert by_column["Notice period (weeks)"].type == "whole"


def test_template_explains_each_column_and_the_upload_choices(filled):
    workbook = open_book(spreadsheets.template_workbook(filled))
    assert workbook.sheetnames == [
        "Assignments",
        "Workforce",
        "Spend",
        "Queries",
        "Leavers",
        "Guidance",
        "About",
        "Lists",
    ]
    guidance = [c for row in workbook["Guidance"].values for c in row if c]
    assert set(HEADER) <= set(guidance)
    text = " ".join(guidance)
    assert "Merge:" in text and "Replace:" in text and "27/03/2026" in text and "20,000 rows" in text
    about = {row[0]: row[1] for row in workbook["About"].values if row and len(row) > 1}
    assert about["Reporting unit"] == "Own Borough"
    assert about["Period"] == filled.period.label
    assert about["Rows"] == 3


def test_formula_like_values_are_neutralised_in_the_template(filled):
    ws = open_book(spreadsheets.template_workbook(filled))["Assignments"]
    agency = ws.cell(row=3, column=HEADER.index("Agency") + 1)
    assert agency.data_type == "s"
    assert agency.value == '\'=HYPERLINK("http://evil.example","click")'


def test_a_template_of_2000_rows_is_small_and_reads_back(world, ret):
    rows = [
        Assignment(ret=ret, position=n, **good_row(world.own, registration_number=f"SW{n:06d}")) for n in range(1, 2001)
    ]
    Assignment.objects.bulk_create(rows)
    content = spreadsheets.template_workbook(ret)
    read = spreadsheets.read_rows(ret, upload(content))
    assert len(read) == 2000 and read[-1]["registration_number"] == "SW002000"
    # About 200 bytes a row, drop-down lists and guidance included: 5,000 rows stay under 1 MB. (How fast it
    # is written and read is for `make bench`, not a test.)
    assert len(content) < 2000 * 200


# Reading it back


def test_a_downloaded_template_reads_back_to_the_same_values(filled):
    read = spreadsheets.read_rows(filled, upload(spreadsheets.template_workbook(filled)))
    assert read == rows_of(filled)


def test_uploading_the_unchanged_template_changes_no_values(filled, submitter):
    before = rows_of(filled)
    counts = import_upload(filled, submitter, spreadsheets.template_workbook(filled))
    assert counts == {"added": 1, "updated": 2, "removed": 0}  # the row with no registration number is added again
    assert rows_of(filled)[:2] == before[:2]
    assert rows_of(filled)[3] == before[2]


def test_typed_values_are_read_in_the_forms_people_use(world, ret, local_role):
    def change(ws):
        ws.append(
            [
                "own borough",
                "sw 123 456",
                "Principal social worker",  # a local role, by name, in the Role column
                None,
                "  Own Agency Ltd ",
                "Umbrella company",
                "04/05/2026",
                "2026-09-30",
                "£40.5",
                45.2,
                "y",
                4,
                None,
                None,
                True,
                4.0,
                "Yes",  # ignored: sign-offs are recorded in the portal
            ]
        )

    content = edited(spreadsheets.template_workbook(ret), change)
    [row] = spreadsheets.read_rows(ret, upload(content))
    assert row == {
        "borough": world.own.borough,
        "registration_number": "SW123456",
        "role": local_role.core,
        "local_role": local_role,
        "agency_name": "Own Agency Ltd",
        "engagement_type": "umbrella",
        "start_date": date(2026, 5, 4),
        "end_date": date(2026, 9, 30),
        "hourly_pay_rate": Decimal("40.50"),
        "hourly_charge_rate": Decimal("45.20"),
        "project_team": True,
        "pqe_years": Decimal("4.0"),
        "previous_employer": None,
        "left_previous_on": None,
        "reference_received": True,
        "notice_period_weeks": 4,
        "breach_sign_off": None,
    }


def test_an_empty_sheet_with_headings_only_is_zero_rows(ret, submitter):
    content = spreadsheets.template_workbook(ret)
    assert spreadsheets.read_rows(ret, upload(content)) == []
    assert import_upload(ret, submitter, content, mode="replace") == {"added": 0, "updated": 0, "removed": 0}


def test_blank_rows_and_extra_columns_are_ignored(world, ret):
    add_row(ret, world.own)

    def change(ws):
        ws.cell(row=1, column=len(HEADER) + 1, value="Our notes")
        ws.cell(row=2, column=len(HEADER) + 1, value="Checked by HR")
        ws.append([None] * len(HEADER))
        ws.append(["", "  "])

    read = spreadsheets.read_rows(ret, upload(edited(spreadsheets.template_workbook(ret), change)))
    assert [r["registration_number"] for r in read] == ["SW100200"]


def test_a_registration_number_pasted_with_hidden_characters_is_stored_clean(world, ret, submitter):
    add_row(ret, world.own)  # SW100200
    ret.refresh_from_db()
    pasted = edited(spreadsheets.template_workbook(ret), _set("B2", "\ufeffSW\u200b100\u00a0200"))
    assert import_upload(ret, submitter, pasted) == {"added": 0, "updated": 1, "removed": 0}  # the same worker
    assert list(ret.assignments.values_list("registration_number", flat=True)) == ["SW100200"]


def test_a_row_keeps_its_breach_sign_off_while_its_figures_match(world, submitter):
    own = world.own
    ret = draft_return(own)
    row = add_row(ret, own, hourly_pay_rate=Decimal("40.00"))  # over the £36.40 cap
    services.sign_off_row_breach(
        ret=ret,
        by=own.users[Role.BOROUGH_APPROVER],
        assignment=row,
        reason="Court work",
        signed_by_title="DCS",
        chief_executive="A. Chief",
    )
    row.refresh_from_db()
    sign_off = row.breach_sign_off
    ret.refresh_from_db()
    content = spreadsheets.template_workbook(ret)
    assert open_book(content)["Assignments"].cell(row=2, column=len(HEADER)).value == "Yes"

    import_upload(ret, submitter, content)
    row.refresh_from_db()
    assert row.breach_sign_off == sign_off

    import_upload(ret, submitter, edited(content, lambda ws: ws.cell(row=2, column=9, value=41)))
    row.refresh_from_db()
    assert row.hourly_pay_rate == Decimal("41.00") and row.breach_sign_off is None


# Merge and replace


def test_merge_updates_matching_rows_adds_the_rest_and_keeps_the_others(world, ret, submitter):
    own = world.own
    add_row(ret, own, registration_number="SW000001")
    add_row(ret, own, registration_number="SW000002")
    ret.refresh_from_db()

    def change(ws):
        ws.delete_rows(2)  # SW000001 is not in the workbook
        ws.cell(row=2, column=9, value=34.5)  # SW000002's pay rate
        ws.append(["Own Borough", "SW000003", "social-worker", None, "New Agency", "paye", "01/07/2026"])

    counts = import_upload(ret, submitter, edited(spreadsheets.template_workbook(ret), change), mode="merge")
    assert counts == {"added": 1, "updated": 1, "removed": 0}
    rows = {r.registration_number: r for r in ret.assignments.all()}
    assert list(rows) == ["SW000001", "SW000002", "SW000003"]
    assert rows["SW000002"].hourly_pay_rate == Decimal("34.50")
    assert rows["SW000003"].start_date == date(2026, 7, 1) and rows["SW000003"].position == 3
    ret.refresh_from_db()
    assert ret.revision == 4  # two rows added by hand, then one upload


def test_replace_makes_the_rows_exactly_those_in_the_workbook(world, ret, submitter):
    own = world.own
    add_row(ret, own, registration_number="SW000001")
    add_row(ret, own, registration_number="SW000002")
    ret.refresh_from_db()

    def change(ws):
        ws.delete_rows(2)
        ws.append(["Own Borough", "SW000003", "social-worker", None, "New Agency", "paye", "01/07/2026"])

    counts = import_upload(ret, submitter, edited(spreadsheets.template_workbook(ret), change), mode="replace")
    assert counts == {"added": 2, "updated": 0, "removed": 2}
    assert [(r.position, r.registration_number) for r in ret.assignments.all()] == [(1, "SW000002"), (2, "SW000003")]


# Refusals: a clear message, and the draft as it was


def _set(coordinate, value):
    def change(ws):
        ws[coordinate] = value

    return change


def _text_starting_with_equals(ws):
    ws["E2"] = "=not a formula"
    ws["E2"].data_type = "s"  # stored as text, as some programs write it


def _rename_column(old, new):
    def change(ws):
        ws.cell(row=1, column=HEADER.index(old) + 1, value=new)

    return change


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


def _zip_bomb(content: bytes) -> bytes:
    """The template with a member that unpacks to far more than any spreadsheet (tests shrink the limits)."""
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/media/big.bin", "w") as big:
        for _ in range(12):
            big.write(b" " * (1024 * 1024))
    return buffer.getvalue()


REFUSALS = {
    "text file named .xlsx": (
        lambda c: b"Borough,Registration number\nOwn Borough,SW1\n",
        "The file is not an Excel workbook (.xlsx). Save it as an Excel workbook and upload it again.",
    ),
    "program renamed .xlsx": (
        lambda c: b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 500,
        "The file is not an Excel workbook (.xlsx).",
    ),
    "ZIP that is not a workbook": (lambda c: _zip_without_workbook(), "The file is not an Excel workbook (.xlsx)."),
    "old .xls file": (
        lambda c: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
        "The file is an older Excel format (.xls) or is protected with a password.",
    ),
    "truncated workbook": (lambda c: c[: len(c) // 2], "The file is damaged and cannot be opened."),
    "empty file": (lambda c: b"", "The selected file is empty."),
    "oversized file": (
        lambda c: b"PK\x03\x04" + b"\x00" * spreadsheets.MAX_BYTES,
        "The selected file must be smaller than",
    ),
    "zip bomb": (_zip_bomb, "The file is too large to open once unpacked."),
    "missing sheet": (
        lambda c: edited(c, lambda ws: setattr(ws, "title", "Sheet1")),
        "The workbook has no sheet called “Assignments”.",
    ),
    "renamed column": (
        lambda c: edited(c, _rename_column("Start date", "Started")),
        "The Assignments sheet is missing the column “Start date”. Row 1 must have the headings of the downloaded "
        "template: Borough, Registration number, Role,",
    ),
    "missing columns": (
        lambda c: edited(c, lambda ws: ws.delete_cols(7, 2)),
        "The Assignments sheet is missing the columns “Start date”, “End date”.",
    ),
    "repeated column": (
        lambda c: edited(c, _rename_column("End date", "Start date")),
        "Assignments!H1: the heading “Start date” is also in column G. Keep one column of each.",
    ),
    "text in a date cell": (
        lambda c: edited(c, _set("G2", "abc")),
        "Assignments!G2: ‘abc’ is not a date; type it as 27/03/2026",
    ),
    "impossible date": (
        lambda c: edited(c, _set("H2", "31/02/2026")),
        "Assignments!H2: ‘31/02/2026’ is not a real date. Type it as 27/03/2026.",
    ),
    "number in a date cell": (
        lambda c: edited(c, _set("N2", 46108)),
        "Assignments!N2: ‘46108’ is not a date; type it as 27/03/2026",
    ),
    "text in a money cell": (
        lambda c: edited(c, _set("I2", "forty")),
        "Assignments!I2: “forty” is not an amount of money. Enter the hourly pay rate in pounds, like 38.50.",
    ),
    "fractions of a penny": (
        lambda c: edited(c, _set("J2", 42.125)),
        "Assignments!J2: enter the hourly charge rate in pounds and pence, with no more than 2 decimal places.",
    ),
    "text in a years cell": (
        lambda c: edited(c, _set("L2", "five")),
        "Assignments!L2: ‘five’ is not a number of years. Type it like 3.5.",
    ),
    "text in a weeks cell": (
        lambda c: edited(c, _set("P2", "four weeks")),
        "Assignments!P2: ‘four weeks’ is not a whole number of weeks. Type it like 4.",
    ),
    "not yes or no": (
        lambda c: edited(c, _set("O2", "maybe")),
        "Assignments!O2: ‘maybe’ is not Yes or No. Choose Yes or No from the list, or leave it blank if not known.",
    ),
    "unknown role": (
        lambda c: edited(c, _set("C2", "social-work-manager")),
        "Assignments!C2: ‘social-work-manager’ is not a role. Choose one from the list, like social-worker,",
    ),
    "unknown engagement type": (
        lambda c: edited(c, _set("F2", "freelance")),
        "Assignments!F2: ‘freelance’ is not an engagement type. Choose paye, umbrella or limited-company.",
    ),
    "borough outside the return": (
        lambda c: edited(c, _set("A2", "Other Borough")),
        "Assignments!A2: ‘Other Borough’ is not a borough of Own Borough. Choose Own Borough.",
    ),
    "unknown previous employer": (
        lambda c: edited(c, _set("M2", "Narnia")),
        "Assignments!M2: ‘Narnia’ is not a borough of Own region. Choose one from the list, or leave it blank.",
    ),
    "over-long registration number": (
        lambda c: edited(c, _set("B2", "SW1234567890123")),
        "Assignments!B2: “SW1234567890123” is too long for a registration number",
    ),
    "registration number in Arabic-Indic digits": (
        lambda c: edited(c, _set("B2", "SW١٠٠٢٠٠")),
        "Assignments!B2: “SW١٠٠٢٠٠” has digits other than 0 to 9.",
    ),
    "formula": (
        lambda c: edited(c, _set("J2", "=I2*1.2")),
        "Assignments!J2 holds a formula. Type the value itself.",
    ),
    "formula in a column of your own": (
        lambda c: edited(c, _set("T2", "=1+1")),
        "Assignments!T2 holds a formula. Type the value itself.",
    ),
    "text that starts with =": (
        lambda c: edited(c, _text_starting_with_equals),
        "Assignments!E2 holds a formula. Type the value itself.",
    ),
    "merged cells": (
        lambda c: edited(c, lambda ws: ws.merge_cells("A2:B2")),
        "Cells A2:B2 on the Assignments sheet are merged. Unmerge them so that each cell holds one value.",
    ),
    "the same assignment twice": (
        lambda c: edited(c, lambda ws: ws.append([cell.value for cell in ws[2]])),
        "Assignments!B3: SW100200 starting 04/05/2026 is also on row 2. Give each assignment one row.",
    ),
}


@pytest.mark.parametrize("make, message", REFUSALS.values(), ids=REFUSALS.keys())
@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_refused_upload_says_why_and_leaves_the_draft_as_it_was(
    world, ret, submitter, make, message, mode, monkeypatch
):
    monkeypatch.setattr(spreadsheets, "MAX_BYTES", 256 * 1024)  # small, so the oversized file and bomb stay small
    add_row(ret, world.own)
    ret.refresh_from_db()
    content = make(spreadsheets.template_workbook(ret))
    before = state_of(ret)
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, content, mode=mode)
    assert any(problem.startswith(message) for problem in refused.value.problems), refused.value.problems
    assert state_of(ret) == before


def test_every_problem_is_listed_by_cell_at_once(world, ret, submitter):
    add_row(ret, world.own)
    add_row(ret, world.own, registration_number="SW000002")
    ret.refresh_from_db()

    def change(ws):
        ws["G2"] = "soon"
        ws["I2"] = "lots"
        ws["C3"] = "boss"
        ws["K3"] = "=TRUE()"
        ws["F3"] = "contractor"

    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, edited(spreadsheets.template_workbook(ret), change))
    assert [p.split(" ")[0].rstrip(":") for p in refused.value.problems] == [
        "Assignments!G2",
        "Assignments!I2",
        "Assignments!C3",
        "Assignments!F3",
        "Assignments!K3",
    ]


def test_a_role_and_local_role_that_disagree_are_refused(world, ret, local_role):
    other_local = LocalRole.objects.create(
        region=world.own.region,
        code="consultant-social-worker",
        name="Consultant social worker",
        core=RoleCategory.objects.get(code="senior-social-worker"),
    )

    def change(ws):
        ws.append(["Own Borough", "SW000001", "social-worker", "principal-social-worker"])
        ws.append(["Own Borough", "SW000002", "principal-social-worker", "consultant-social-worker"])
        ws.append(["Own Borough", "SW000003", "consultant-social-worker", None])
        ws.append(["Own Borough", "SW000004", None, "consultant-social-worker"])

    content = edited(spreadsheets.template_workbook(ret), change)
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        spreadsheets.read_rows(ret, upload(content))
    assert refused.value.problems == [
        "Assignments!D2: ‘principal-social-worker’ is a kind of Advanced practitioner (advanced-practitioner), but "
        "the role is social-worker. Choose the role advanced-practitioner, or another local role.",
        "Assignments!C3: ‘principal-social-worker’ is a local role, but the Local role column says "
        "‘consultant-social-worker’. Put the core role (senior-social-worker) here, or make the two match.",
    ]
    rows = spreadsheets.read_rows(ret, upload(edited(content, lambda ws: ws.delete_rows(2, 2))))
    assert [(r["role"].code, r["local_role"]) for r in rows] == [
        ("senior-social-worker", other_local),
        ("senior-social-worker", other_local),
    ]


def test_a_joint_return_needs_each_rows_borough(world, submitter):
    own = world.own
    unit = ReportingUnit.objects.create(region=own.region, name="Own joint unit")
    unit.boroughs.add(own.borough, own.msp_borough)
    ret = draft_return(own)
    assert ret.unit == unit

    def change(ws):
        ws.append(["Own MSP Borough", "SW000001"])
        ws.append([None, "SW000002"])

    content = edited(spreadsheets.template_workbook(ret), change)
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, content)
    assert refused.value.problems == [
        "Assignments!A3: choose which borough of Own joint unit the assignment is with: Own Borough or Own MSP Borough."
    ]
    assert ret.assignments.count() == 0
    counts = import_upload(ret, submitter, edited(content, _set("A3", "Own Borough")))
    assert counts["added"] == 2
    assert [r.borough for r in ret.assignments.all()] == [own.msp_borough, own.borough]


def test_a_stale_or_locked_return_refuses_the_upload_and_is_unchanged(world, ret, submitter):
    add_row(ret, world.own)
    ret.refresh_from_db()
    content = edited(spreadsheets.template_workbook(ret), _set("I2", 30))
    before = state_of(ret)
    with pytest.raises(services.StaleRevision):
        spreadsheets.import_upload(
            ret=ret, by=submitter, uploaded_file=upload(content), mode="merge", expected_revision=ret.revision - 1
        )
    assert state_of(ret) == before
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED)
    with pytest.raises(services.ReturnError, match="submitted, so it cannot be changed"):
        import_upload(ret, submitter, content)
    assert state_of(ret) == before


def test_someone_else_s_user_cannot_load_rows(world, ret):
    content = spreadsheets.template_workbook(ret)
    with pytest.raises(services.ReturnError):
        import_upload(ret, world.other.users[Role.BOROUGH_SUBMITTER], content)
    assert ret.assignments.count() == 0


def test_a_sheet_over_the_row_ceiling_is_refused_and_changes_nothing(world, ret, submitter):
    add_row(ret, world.own)
    before = state_of(ret)
    workbook = openpyxl.Workbook(write_only=True)
    ws = workbook.create_sheet("Assignments")
    ws.append(HEADER)
    for n in range(spreadsheets.MAX_ROWS + 1):
        ws.append(["Own Borough", f"SW{n:06d}", "social-worker"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, buffer.getvalue())
    assert refused.value.problems == [
        "The “Assignments” sheet has more than 20,000 rows. Remove the rows you do not need and upload it again."
    ]
    assert state_of(ret) == before


# Through the pages


def post_upload(client, ret: Return, content: bytes, capture, *, mode: str = "merge"):
    """Upload as the page does: the request stores the file and starts the job, which runs once the request's
    transaction commits; then the job's page, as the browser is sent to it."""
    with capture(execute=True):
        stored = client.post(
            reverse("returns:upload", args=[ret.pk]),
            {"revision": ret.revision, "mode": mode, "workbook": upload(content)},
        )
    assert stored.status_code == 302, stored.content.decode()[:2000]
    return client.get(stored["Location"])


def test_the_template_downloads_and_a_refused_upload_lists_its_problems_on_the_page(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks
):
    add_row(ret, world.own)
    client = client_for(submitter)
    download = client.get(reverse("returns:template", args=[ret.pk]))
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    content = b"".join(download.streaming_content) if download.streaming else download.content
    ret.refresh_from_db()
    before = state_of(ret)

    bad = edited(content, _set("G2", "abc"))
    page = post_upload(client, ret, bad, django_capture_on_commit_callbacks)
    assert page.status_code == 200
    assert "Assignments!G2: ‘abc’ is not a date; type it as 27/03/2026" in page.content.decode()
    # One red box, the problems themselves: not a second one pointing "below" at a list above it.
    assert page.content.decode().count("govuk-error-summary__title") == 1 and "below" not in page.content.decode()
    assert "<title>Error:" in page.content.decode()
    assert state_of(ret) == before

    good = edited(content, _set("I2", 30))
    page = post_upload(client, ret, good, django_capture_on_commit_callbacks)
    assert page.status_code == 200 and "Workbook loaded" in page.content.decode()
    assert ret.assignments.get().hourly_pay_rate == Decimal("30.00")


# Bounded cost: what a hostile or careless file can make the portal do


def _raw_upload(rows: bytes, *, dimension: str | None = None, shared_strings: bytes | None = None) -> bytes:
    """An Assignments sheet written as raw XML: the template's headings in row 1, then ``rows``."""
    sheet = raw_workbooks.sheet(raw_workbooks.header_row(HEADER) + rows, dimension=dimension)
    return raw_workbooks.workbook({"Assignments": sheet}, shared_strings=shared_strings)


def _long_value_everywhere(rows: int) -> bytes:
    """Every cell of ``rows`` rows holds one 32,767-character text: about 13 KB on disk."""
    cells = "".join(f'<c r="{letter}{{n}}" t="s"><v>0</v></c>' for letter in "ABCDEFGHIJKLMNOP")
    body = "".join(f'<row r="{n}">{cells.format(n=n)}</row>' for n in range(2, rows + 2)).encode()
    return _raw_upload(body, shared_strings=b"<si><t>" + b"x" * 32_767 + b"</t></si>")


def test_an_upload_repeating_a_long_value_gets_a_small_page_and_the_whole_list_as_a_download(
    world, ret, submitter, client_for, django_capture_on_commit_callbacks
):
    content = _long_value_everywhere(300)
    assert len(content) < 20_000
    client = client_for(submitter)
    page = post_upload(client, ret, content, django_capture_on_commit_callbacks)
    assert page.status_code == 200
    assert len(page.content) < 200_000  # a 100 MB page before messages were cut and the list capped
    html = page.content.decode()
    assert "x" * 50 not in html and f"Assignments!C2: ‘{'x' * 49}…’ is not a role." in html
    assert html.count("<li>Assignments!") == 100 and "more, in <a href" in html
    assert not ret.assignments.exists()

    listed = client.get(reverse("returns:upload-problems", args=[ret.pk]))
    assert listed.status_code == 200 and listed["Content-Disposition"].startswith("attachment;")
    lines = listed.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Number,Problem" and len(lines) > 300 * 10
    assert max(len(line) for line in lines) < 400 and len(listed.content) < 2_000_000
    # Kept for the person who uploaded, for this return only.
    assert client_for(world.own.users[Role.BOROUGH_APPROVER]).get(listed.wsgi_request.path).status_code == 404
    other = draft_return(world.other)
    assert client.get(reverse("returns:upload-problems", args=[other.pk])).status_code == 404


def _count_calls(monkeypatch, owner, name: str) -> list:
    """Record each call of ``owner.name`` (its result), calling through."""
    calls = []
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_sheet_stating_16384_columns_is_refused_before_a_cell_is_read(ret, submitter, monkeypatch):
    from pledge_portal.core import excel

    opened = _count_calls(monkeypatch, excel, "_open_calamine")
    rows = b"".join(
        f'<row r="{n}"><c r="A{n}"><v>1</v></c><c r="XFD{n}"><v>1</v></c></row>'.encode() for n in range(2, 302)
    )
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, _raw_upload(rows, dimension="A1:XFD301"))
    assert refused.value.problems == [
        "The “Assignments” sheet has more cells than fit in 20,000 rows of 40 columns (it reaches column XFD): only "
        "columns A to AN are read. Delete the columns and rows you do not need (select them and delete them, not "
        "only their contents) and upload it again."
    ]
    assert opened == []


def test_rows_of_thousands_of_cells_are_refused_before_the_workbook_is_opened(ret, submitter, monkeypatch):
    from pledge_portal.core import excel

    def never(*args, **kwargs):
        raise AssertionError("a reader opened a file that should have been refused")

    monkeypatch.setattr(excel, "_open_calamine", never)
    monkeypatch.setattr(excel, "load_workbook", never)
    wide_row = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    for rows in (wide_row, wide_row * 50):  # no <dimension>: nothing states the size
        with pytest.raises(spreadsheets.UploadRejected) as refused:
            import_upload(ret, submitter, _raw_upload(rows))
        assert refused.value.problems[0].startswith("The “Assignments” sheet has more cells than fit in 20,000 rows")


def test_cells_past_the_columns_read_are_ignored_whatever_the_sheet_claims(world, ret, submitter, monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    widths = _count_calls(monkeypatch, ReadOnlyWorksheet, "_get_row")
    rows = b"".join(
        f'<row r="{n}">'.encode()
        + raw_workbooks.inline(f"A{n}", "Own Borough")
        + raw_workbooks.inline(f"B{n}", f"SW{n}")
        + f'<c r="XFD{n}"><v>1</v></c></row>'.encode()
        for n in range(2, 52)
    )
    for dimension in (None, "A1:B2"):  # missing, and a lie
        counts = import_upload(ret, submitter, _raw_upload(rows, dimension=dimension), mode="replace")
        assert counts["added"] == 50
    assert {len(row) for row in widths} == {spreadsheets.MAX_COLUMNS}


def test_rows_numbered_past_the_ceiling_are_refused_without_reading_the_gap(ret, submitter, monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 100)
    rows_read = _count_calls(monkeypatch, spreadsheets._AssignmentsReader, "_read_row")
    before = state_of(ret)
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, _raw_upload(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'))
    assert refused.value.problems == [
        "The “Assignments” sheet has more than 100 rows. Remove the rows you do not need and upload it again."
    ]
    assert len(rows_read) < 100 and state_of(ret) == before


def test_a_number_too_long_to_read_is_refused_not_an_error(ret, submitter):
    rows = b'<row r="2"><c r="B2"><v>' + b"1" * 5000 + b"</v></c></row>"
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, _raw_upload(rows))
    assert refused.value.problems == [
        "Row 2 of the “Assignments” sheet: The file is damaged and cannot be opened. Save it again as an Excel "
        "workbook (.xlsx) and upload it again."
    ]


def test_shared_strings_beyond_what_the_rows_could_use_are_refused_before_the_workbook_is_opened(
    ret, submitter, monkeypatch
):
    from pledge_portal.core import excel

    monkeypatch.setattr(excel, "_open_calamine", lambda *a, **k: pytest.fail("opened a file to refuse"))
    monkeypatch.setattr(excel, "load_workbook", lambda *a, **k: pytest.fail("opened a file to refuse"))
    monkeypatch.setattr(spreadsheets, "MAX_ROWS", 1000)  # a smaller budget keeps the file small
    with pytest.raises(spreadsheets.UploadRejected) as refused:
        import_upload(ret, submitter, _raw_upload(b"", shared_strings=b"<si><t>a</t></si>" * 200_000))
    assert refused.value.problems[0].startswith("The file holds far more than a workbook of 1,000 rows and 40 columns")


def _one_row_at_a_time(self, rows):
    """The reference: every row read by ``_read_row``, as before values were read a column at a time."""
    read = []
    for number, cells in rows:
        values = self._read_row(number, cells)
        if values is not None:
            read.append((number, values))
    return read


def _read_both_ways(ret, content: bytes, monkeypatch) -> tuple:
    def outcome():
        try:
            return spreadsheets.read_rows(ret, upload(content)), None
        except spreadsheets.UploadRejected as exc:
            return None, exc.problems

    by_column = outcome()
    with monkeypatch.context() as patched:
        patched.setattr(spreadsheets._AssignmentsReader, "_read_rows", _one_row_at_a_time)
        by_row = outcome()
    return by_column, by_row


def test_reading_by_column_gives_what_reading_row_by_row_gives(world, filled, local_role, monkeypatch):
    """Rows made from their columns' answers, rows read one by one (a local role, a formula, a value that
    cannot be read) and blank rows between them: the same rows, or the same problems in the same order."""

    def mixed(ws):
        ws.append([])  # a blank row between rows
        ws.append(["Own Borough", "SW000007", "principal-social-worker", None, "Agency A", "umbrella", "01/07/2026"])
        ws.append(["  ", None, "", None])  # blank but for spaces
        ws.append(["Own Borough", "SW000008", "social-worker", None, "Agency A", "paye", date(2026, 7, 2)])

    content = edited(spreadsheets.template_workbook(filled), mixed)
    (rows, problems), reference = _read_both_ways(filled, content, monkeypatch)
    assert problems is None and (rows, problems) == reference
    assert len(rows) == 5 and rows[3]["local_role"] == local_role and rows[3]["role"] == local_role.core

    def wrong(ws):
        ws["G3"] = "soon"  # a date that cannot be read, in a row of good values
        ws["K2"] = "=1+1"  # a formula
        ws.append(["Own Borough", "SW000009", "boss", None, "Agency A", "contractor", "31/02/2026"])
        ws.append(["Own Borough", "SW000010", "social-worker", None, "Agency A", "umbrella", "soon"])

    by_column, by_row = _read_both_ways(filled, edited(content, wrong), monkeypatch)
    assert by_column == by_row and by_column[0] is None
    assert [p.split(" ")[0].rstrip(":") for p in by_column[1]][:3] == [
        "Assignments!K2",
        "Assignments!G3",
        "Assignments!C9",
    ]
