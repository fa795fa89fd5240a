"""Rate cards as workbooks: the download, the upload that makes a draft, and the shared Excel writer and reader."""

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from pledge_portal.core.excel import MONEY, PERCENT, Sheet, SpreadsheetError, read_workbook_safely, write_workbook
from rates import services, spreadsheets
from rates.models import LocalRole, RateCard, RoleCategory
from tests import raw_workbooks

from .helpers import CAPS, publish_card

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_ROLE = ("principal-social-worker", "Principal social worker", "advanced-practitioner", 43, 37.5)


@pytest.fixture
def analyst(world):
    return world.own.users[Role.REGIONAL_ANALYST]


def upload(content: bytes, name: str = "caps.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


def caps_rows():
    """The five core roles, as typed by a person (numbers, and one amount as text), plus a new local role."""
    rows = [[code, "", code, float(inclusive), float(paye)] for code, (inclusive, paye) in CAPS.items()]
    rows[1][3] = "£39.00"
    return [*rows, list(NEW_ROLE)]


def workbook_bytes(rows=None, *, header=spreadsheets.HEADER, title="Caps", change=None) -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = title
    ws.append(header)
    for row in caps_rows() if rows is None else rows:
        ws.append(row)
    if change:
        change(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_draft(region, by, content: bytes, name: str = "caps.xlsx") -> RateCard:
    return spreadsheets.import_draft(
        region=region,
        by=by,
        uploaded_file=upload(content, name),
        title="Caps 2027",
        effective_from=date(2027, 4, 1),
        effective_to=None,
        evidence_note="Agreed by the steering group",
    )


def lines_of(card: RateCard) -> dict[str, tuple[Decimal, Decimal]]:
    return {ln.role_code: (ln.inclusive_cap, ln.paye_cap) for ln in card.lines.select_related("role", "local_role")}


def open_export(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


# Export


def test_export_lists_every_line_with_money_formatted_caps(world, analyst):
    card = publish_card(world.own.region, analyst)
    ws = open_export(spreadsheets.export_rate_card(card))["Caps"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "Role code",
        "Role name",
        "Core role code",
        "Limited company and umbrella cap (£/hour)",
        "PAYE cap (£/hour)",
    ]
    assert [row[0] for row in rows[1:]] == [r.code for r in RoleCategory.objects.all()]
    assert rows[1] == ("social-worker", "Social worker", "social-worker", 36.4, 31.85)
    assert ws["D2"].number_format == ws["E2"].number_format == MONEY
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E6"


def test_export_about_sheet_describes_the_card(world, analyst):
    card = publish_card(world.own.region, analyst, title="London caps 2026")
    about = {row[0]: row[1] for row in open_export(spreadsheets.export_rate_card(card))["About"].values if row}
    assert about["Rate card"] == "London caps 2026"
    assert about["Version"] == card.version
    assert about["Status"] == "Published"
    assert about["Effective from"] == datetime(2026, 4, 1)
    assert about["Effective to"] == "No end date"
    assert about["Approved by"] == analyst.get_full_name()
    assert about["Evidence"] == "Agreed by the steering group"
    assert about["Change summary"] == "The first rate card for this region."
    assert not any("DEMO FIGURES" in str(key) for key in about)
    assert spreadsheets.export_filename(card) == f"own-region-rate-card-v{card.version}.xlsx"


def test_export_of_demo_card_says_the_figures_are_not_agreed(world, analyst):
    card = services.create_draft(
        region=world.own.region,
        by=analyst,
        title="Demo",
        effective_from=date(2026, 4, 1),
        evidence_note="Illustrative",
        is_demo=True,
    )
    workbook = open_export(spreadsheets.export_rate_card(card))
    assert workbook.sheetnames == ["About", "Caps"]  # the file opens on the warning
    assert workbook["About"]["A1"].value == "DEMO FIGURES – not the agreed Own region caps"


def test_formula_like_text_in_title_and_evidence_is_neutralised(world, analyst):
    card = publish_card(world.own.region, analyst, title='=HYPERLINK("http://evil.example","Click")')
    RateCard.objects.filter(pk=card.pk).update(evidence_note="+cmd|' /C calc'!A0")
    card.refresh_from_db()
    about = {row[0]: row[1] for row in open_export(spreadsheets.export_rate_card(card))["About"].values if row}
    assert about["Rate card"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert about["Evidence"] == "'+cmd|' /C calc'!A0"


# Round trip and successful imports


def test_exported_card_imports_to_identical_lines(world, analyst):
    region = world.own.region
    local = LocalRole.objects.create(
        region=region, code="principal-sw", name="-Principal social worker", core=RoleCategory.objects.get(order=3)
    )
    card = publish_card(region, analyst, caps={"principal-sw": ("43.07", "37.99"), "team-manager": ("45.10", "40.05")})
    draft = import_draft(region, analyst, spreadsheets.export_rate_card(card))
    assert lines_of(draft) == lines_of(card)
    assert len(lines_of(draft)) == 6 and lines_of(draft)["principal-sw"] == (Decimal("43.07"), Decimal("37.99"))
    assert draft.is_draft and draft.version == card.version + 1
    assert LocalRole.objects.get() == local  # an existing local role is reused, not created again


def test_new_local_role_row_creates_the_role_and_its_line(world, analyst):
    card = import_draft(world.own.region, analyst, workbook_bytes())
    role = LocalRole.objects.get(region=world.own.region, code="principal-social-worker")
    assert (role.name, role.core.code) == ("Principal social worker", "advanced-practitioner")
    lines = lines_of(card)
    assert lines["principal-social-worker"] == (Decimal("43.00"), Decimal("37.50"))
    assert lines["senior-social-worker"] == (Decimal("39.00"), Decimal("34.10"))
    assert AuditEvent.objects.filter(action="local_role.created", target_id=str(role.pk)).exists()
    assert AuditEvent.objects.filter(action="rate_card.edited", target_id=str(card.pk)).exists()


def test_excel_floats_become_exact_pennies(world, analyst):
    rows = caps_rows()[:5]
    rows[0][3], rows[0][4] = 38.449999999999996, 32.1  # how Excel may store 38.45
    card = import_draft(world.own.region, analyst, workbook_bytes(rows))
    assert lines_of(card)["social-worker"] == (Decimal("38.45"), Decimal("32.10"))


def test_empty_rows_and_extra_columns_are_ignored(world, analyst):
    rows = [[*row, "a note"] for row in caps_rows()[:5]]
    rows.insert(2, [None, "", None, None, None, None])
    content = workbook_bytes(rows, header=[*spreadsheets.HEADER, "Notes"])
    assert set(lines_of(import_draft(world.own.region, analyst, content))) == set(CAPS)


# Refusals: a clear message, and nothing written


def _set(coordinate, value):
    def change(ws):
        ws[coordinate] = value

    return change


def _merge(ws):
    ws.merge_cells("B2:C2")


def _many_rows(ws):
    for n in range(spreadsheets.MAX_ROWS):
        ws.append([f"role-{n}", "A role", "social-worker", 30, 25])


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


def _corrupt() -> bytes:
    content = bytearray(workbook_bytes())
    return bytes(content[: len(content) // 2])


def _scrambled() -> bytes:
    content = bytearray(workbook_bytes())
    for i in range(200, 600):
        content[i] ^= 0x5A
    return bytes(content)


REFUSALS = {
    "text file named .xlsx": (
        lambda: b"Role code,PAYE cap\nsocial-worker,31.85\n",
        "The file is not an Excel workbook (.xlsx). Save it as an Excel workbook and upload it again.",
    ),
    "PNG renamed .xlsx": (
        lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 200,
        "The file is not an Excel workbook (.xlsx). Save it as an Excel workbook and upload it again.",
    ),
    "ZIP that is not a workbook": (
        _zip_without_workbook,
        "The file is not an Excel workbook (.xlsx). Save it as an Excel workbook and upload it again.",
    ),
    "truncated workbook": (_corrupt, "The file is damaged and cannot be opened."),
    "scrambled workbook": (_scrambled, "The file is damaged and cannot be opened."),
    "old .xls file": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500,
        "The file is an older Excel format (.xls) or is protected with a password.",
    ),
    "empty file": (lambda: b"", "The selected file is empty."),
    "oversized file": (
        lambda: b"PK\x03\x04" + b"\x00" * spreadsheets.MAX_BYTES,
        "The selected file must be smaller than 1 MB. Remove rows you do not need and upload it again.",
    ),
    "too many rows": (
        lambda: workbook_bytes(change=_many_rows),
        "The “Caps” sheet has more than 500 rows. Remove the rows you do not need and upload it again.",
    ),
    "missing sheet": (
        lambda: workbook_bytes(title="Sheet1"),
        "The workbook has no sheet called “Caps”.",
    ),
    "missing columns": (
        lambda: workbook_bytes(
            [row[:4] for row in caps_rows()], header=["Role code", "Role name", "Core role code", "Cap"]
        ),
        "The Caps sheet is missing the columns “Limited company and umbrella cap (£/hour)”, “PAYE cap (£/hour)”.",
    ),
    "text in a money cell": (
        lambda: workbook_bytes(change=_set("D4", "forty")),
        "Row 4, column D: “forty” is not an amount of money. Enter the hourly rate in pounds, like 38.50.",
    ),
    "empty money cell": (
        lambda: workbook_bytes(change=_set("E3", None)),
        "Row 3, column E: enter the PAYE cap, like 38.50.",
    ),
    "more than 2 decimal places": (
        lambda: workbook_bytes(change=_set("D2", 36.405)),
        "Row 2, column D: enter the cap in pounds and pence, with no more than 2 decimal places.",
    ),
    "formula": (
        lambda: workbook_bytes(change=_set("E5", "=D5*0.9")),
        "Row 5, column E holds a formula. Type the figure itself.",
    ),
    "merged cells": (
        lambda: workbook_bytes(change=_merge),
        "Cells B2:C2 on the Caps sheet are merged. Unmerge them so that each cell holds one value.",
    ),
    "unknown role": (
        lambda: workbook_bytes([*caps_rows(), ["agency-manager", None, None, 40, 35]]),
        "Row 8, column A: “agency-manager” is not a role on Own region's rate cards. Check the role code, or to "
        "add it as a local role, give its name in column B and its core role code in column C.",
    ),
    "new local role under an unknown core role": (
        lambda: workbook_bytes([*caps_rows(), ["agency-manager", "Agency manager", "manager", 40, 35]]),
        "Row 8, column C: “manager” is not a core role code. Use one of social-worker,",
    ),
    "PAYE above the inclusive cap": (
        lambda: workbook_bytes(change=_set("E6", 50)),
        "Row 6, column E: the PAYE cap (£50.00) is more than the limited company and umbrella cap (£42.65).",
    ),
    "duplicate role": (
        lambda: workbook_bytes([*caps_rows(), ["social-worker", "", "", 36, 31]]),
        "Row 8, column A: social-worker is also on row 2. Give each role one row.",
    ),
    "missing core role": (
        lambda: workbook_bytes([row for row in caps_rows() if row[0] != "team-manager"]),
        "Add a row for each core role: there is none for Team manager (team-manager).",
    ),
}


@pytest.mark.parametrize("make, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_refused_workbook_gives_a_clear_message_and_writes_nothing(world, analyst, make, message):
    with pytest.raises(spreadsheets.RateCardImportError) as refused:
        import_draft(world.own.region, analyst, make())
    assert any(error.startswith(message) for error in refused.value.errors), refused.value.errors
    assert not RateCard.objects.exists()
    assert not LocalRole.objects.exists()  # the valid new local role row is not created either


def test_every_problem_is_listed_at_once(world, analyst):
    rows = caps_rows()
    rows[0][3] = "forty"
    rows[2][4] = 99
    rows.append(["nobody", None, None, 1, 1])
    with pytest.raises(spreadsheets.RateCardImportError) as refused:
        import_draft(world.own.region, analyst, workbook_bytes(rows))
    assert [error[:16] for error in refused.value.errors] == [
        "Row 2, column D:",
        "Row 4, column E:",
        "Row 8, column A:",
    ]


def test_a_failure_after_parsing_writes_nothing(world, analyst, monkeypatch):
    def fail(**kwargs):
        raise services.RateCardError("Refused for the test.")

    monkeypatch.setattr(services, "update_draft", fail)
    with pytest.raises(spreadsheets.RateCardImportError, match="Refused for the test."):
        import_draft(world.own.region, analyst, workbook_bytes())
    assert not RateCard.objects.exists() and not LocalRole.objects.exists()


def test_rows_beyond_the_stated_sheet_size_are_still_counted(world):
    content = bytearray(workbook_bytes(change=_many_rows))
    # Rewrite the sheet's <dimension> to claim only a few rows: the reader must not believe it.
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index("<dimension")
    end = sheet.index("/>", start) + 2
    parts["xl/worksheets/sheet1.xml"] = (sheet[:start] + '<dimension ref="A1:E3"/>' + sheet[end:]).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(SpreadsheetError, match="more than 500 rows"):
        read_workbook_safely(upload(buffer.getvalue()), max_bytes=spreadsheets.MAX_BYTES, max_rows=500)


def test_values_quoted_in_messages_are_cut(world, analyst):
    long = "x" * 5000
    rows = caps_rows()
    rows[0][3] = long
    rows += [[long, None, None, 40, 30], ["new-role", "New role", long, 40, 30]]
    with pytest.raises(spreadsheets.RateCardImportError) as refused:
        import_draft(world.own.region, analyst, workbook_bytes(rows))
    errors = refused.value.errors
    assert len(errors) == 3 and all(len(error) < 400 for error in errors), errors
    assert errors[0].startswith(f"Row 2, column D: “{'x' * 49}…” is not an amount of money.")
    assert errors[1].startswith(f"Row 8, column A: “{'x' * 49}…” is not a role on Own region's rate cards.")
    assert errors[2].startswith(f"Row 9, column C: “{'x' * 49}…” is not a core role code.")


def test_a_caps_sheet_reaching_column_xfd_is_refused_before_a_cell_is_read(world, analyst, monkeypatch):
    from openpyxl.worksheet._reader import WorkSheetParser

    cells_read = []
    original = WorkSheetParser.parse_cell
    monkeypatch.setattr(WorkSheetParser, "parse_cell", lambda self, el: cells_read.append(1) or original(self, el))
    content = workbook_bytes(change=lambda ws: ws.cell(row=1, column=16_384, value="a note far to the right"))
    with pytest.raises(spreadsheets.RateCardImportError) as refused:
        import_draft(world.own.region, analyst, content)
    assert refused.value.errors == [
        "The “Caps” sheet has more cells than fit in 500 rows of 20 columns (it reaches column XFD): only columns A "
        "to T are read. Delete the columns and rows you do not need (select them and delete them, not only their "
        "contents) and upload it again."
    ]
    assert cells_read == []


def test_shared_strings_beyond_what_the_card_could_use_are_refused_before_the_workbook_is_opened(
    world, analyst, monkeypatch
):
    from pledge_portal.core import excel

    monkeypatch.setattr(excel, "load_workbook", lambda *a, **k: pytest.fail("opened a file to refuse"))
    content = raw_workbooks.workbook(
        {"Caps": raw_workbooks.sheet(raw_workbooks.header_row(spreadsheets.HEADER))},
        shared_strings=b"<si><t>a</t></si>" * 100_000,
    )
    with pytest.raises(spreadsheets.RateCardImportError) as refused:
        import_draft(world.own.region, analyst, content)
    assert refused.value.errors[0].startswith("The file holds far more than a workbook of 500 rows and 20 columns")


# Through the pages


def test_download_link_gives_the_workbook(world, analyst, client_for):
    card = publish_card(world.own.region, analyst)
    response = client_for(None).get(reverse("rates:card-export", args=[card.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == f'attachment; filename="own-region-rate-card-v{card.version}.xlsx"'
    assert open_export(response.content).sheetnames == ["Caps", "About"]


def test_upload_page_lists_every_problem_and_creates_nothing(world, analyst, client_for):
    rows = caps_rows()
    rows[0][3] = "forty"
    form = {"title": "Caps 2027", "effective_from": "01/04/2027", "evidence_note": "Agreed"}
    response = client_for(analyst).post(
        reverse("rates:card-import"), {**form, "workbook": upload(workbook_bytes(rows))}
    )
    assert response.status_code == 400
    assert "Row 2, column D: “forty” is not an amount of money." in response.content.decode()
    assert not RateCard.objects.exists() and not LocalRole.objects.exists()

    response = client_for(analyst).post(reverse("rates:card-import"), {**form, "workbook": upload(workbook_bytes())})
    card = RateCard.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("rates:card-detail", args=[card.pk])
    assert card.is_draft and card.region == world.own.region and len(lines_of(card)) == 6


def test_upload_page_lists_the_first_100_problems_and_the_rest_as_a_download(world, analyst, client_for):
    rows = [*caps_rows(), *([f"unknown-{n}", None, None, 40, 30] for n in range(150))]
    form = {"title": "Caps 2027", "effective_from": "01/04/2027", "evidence_note": "Agreed"}
    client = client_for(analyst)
    response = client.post(reverse("rates:card-import"), {**form, "workbook": upload(workbook_bytes(rows))})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("is not a role on Own region") == 100 and "and 50 more, in <a href" in html
    listed = client.get(reverse("rates:card-import-problems"))
    lines = listed.content.decode("utf-8-sig").splitlines()
    assert (
        listed.status_code == 200
        and len(lines) == 151
        and lines[-1].startswith('150,"Row 157, column A: “unknown-149”')
    )
    assert (
        client_for(world.own.users[Role.STEERING_MEMBER]).get(reverse("rates:card-import-problems")).status_code == 403
    )


# The shared writer


def test_write_workbook_applies_formats_and_neutralises_text():
    content = write_workbook(
        [
            Sheet(
                title="Assignments",
                header=["Name", "Rate", "Excess", "Start"],
                rows=[
                    ["=1+1", Decimal("38.50"), Decimal("0.125"), date(2026, 4, 1)],
                    ["@SUM(A1)\x0b pasted", 40, 0, None],
                ],
                column_formats={1: MONEY, 2: PERCENT},
                widths=[20, 12],
                notes=["Figures as at 1 April 2026", ("Source", "-the returns")],
            )
        ]
    )
    ws = open_export(content)["Assignments"]
    assert ws["A1"].value == "Figures as at 1 April 2026"
    assert (ws["A2"].value, ws["B2"].value) == ("Source", "'-the returns")
    assert [c.value for c in ws[4]] == ["Name", "Rate", "Excess", "Start"] and ws["A4"].font.b
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:D6"
    assert (ws["A5"].value, ws["A6"].value) == ("'=1+1", "'@SUM(A1) pasted")  # control characters dropped
    assert (ws["B5"].value, ws["B5"].number_format) == (38.5, MONEY)
    assert (ws["C5"].value, ws["C5"].number_format) == (0.125, PERCENT)
    assert (ws["D5"].value, ws["D5"].number_format) == (datetime(2026, 4, 1), "dd/mm/yyyy")
    assert ws.column_dimensions["A"].width == 20


def test_write_workbook_streams_rows_from_a_generator():
    rows = ((f"SW{n:06d}", Decimal("38.50")) for n in range(30_000))  # a generator: never all in memory
    content = write_workbook([Sheet(title="Rows", header=["Worker", "Rate"], rows=rows, column_formats={1: MONEY})])
    ws = openpyxl.load_workbook(io.BytesIO(content), read_only=True)["Rows"]
    assert list(ws.iter_rows(max_row=2, values_only=True)) == [("Worker", "Rate"), ("SW000000", 38.5)]
    # Counting rows through openpyxl takes longer than writing them; the sheet's XML says the same.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read("xl/worksheets/sheet1.xml").count(b"<row ") == 30_001
