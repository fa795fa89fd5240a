"""The row ceiling of uploaded workbooks is counted in the sheet's raw XML, across read chunks."""

import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pledge_portal.core import excel


def workbook_with(rows: int, *, columns: int = 2) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    for i in range(rows):
        ws.append([i] * columns)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("rows", [0, 1, 999, 1000, 1001])
def test_rows_are_counted_exactly(rows):
    data = workbook_with(rows)
    upload = SimpleUploadedFile("w.xlsx", data)
    if rows > 1000:
        with pytest.raises(excel.SpreadsheetError, match="more than 1,000 rows"):
            excel.read_workbook_safely(upload, max_bytes=10**7, max_rows=1000)
    else:
        workbook = excel.read_workbook_safely(upload, max_bytes=10**7, max_rows=1000)
        with sheet_source(data) as source:
            assert excel._rows_in(source) == rows
        assert len(list(excel.sheet_rows(workbook["Data"], max_rows=1000, max_columns=2))) == rows
        workbook.close()


def test_rows_straddling_read_chunks_are_counted_once():
    # Wide rows make the sheet's XML several megabytes, so rows fall across the 1 MB read chunks.
    data = workbook_with(600, columns=300)
    workbook = excel.read_workbook_safely(
        SimpleUploadedFile("w.xlsx", data), max_bytes=10**8, max_rows=10_000, max_columns=300
    )
    with sheet_source(data) as source:
        assert len(source.read()) > 3 * (1 << 20)
    with sheet_source(data) as source:
        assert excel._rows_in(source) == 600
    assert workbook["Data"].counts.last_row == 600 and workbook["Data"].counts.last_column == 300
    workbook.close()


def sheet_source(data: bytes):
    return zipfile.ZipFile(io.BytesIO(data)).open("xl/worksheets/sheet1.xml")


# calamine reads uploads; what it cannot say (formulas, merged cells) comes from the sheet's XML.


def raw(rows: bytes, *, merged: bytes = b"", dimension: str | None = None) -> SimpleUploadedFile:
    from tests.raw_workbooks import sheet, workbook

    xml = sheet(rows, dimension=dimension)
    if merged:
        xml = xml.replace(b"</worksheet>", b"<mergeCells>" + merged + b"</mergeCells></worksheet>")
    return SimpleUploadedFile("w.xlsx", workbook({"Data": xml}))


def read(upload, *, max_rows=100, max_columns=5):
    workbook = excel.read_workbook_safely(upload, max_bytes=10**7, max_rows=max_rows, max_columns=max_columns)
    try:
        ws = workbook["Data"]
        return [
            [(c.value, c.data_type) for c in cells]
            for _n, cells in excel.sheet_rows(ws, max_rows=max_rows, max_columns=max_columns)
        ], excel.merged_ranges(ws)
    finally:
        workbook.close()


def test_an_ordinary_sheet_is_read_by_calamine_with_values_as_openpyxl_gives_them(monkeypatch):
    monkeypatch.setattr(excel, "load_workbook", lambda *a, **k: pytest.fail("openpyxl read an ordinary sheet"))
    rows, merged = read(
        raw(
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1"><v>4</v></c>'
            b'<c r="C1"><v>38.45</v></c><c r="D1" t="b"><v>1</v></c></row>'
            b'<row r="3"><c r="B3"><v>2</v></c></row>'
        )
    )
    assert rows == [
        [("Name", "s"), (4, "n"), (38.45, "n"), (True, "b"), (None, "n")],
        [(None, "n")] * 5,
        [(None, "n"), (2, "n"), (None, "n"), (None, "n"), (None, "n")],
    ]
    assert merged == []


def test_formulas_are_found_where_calamine_puts_their_values_with_or_without_references():
    rows, _ = read(
        raw(
            b'<row r="1"><c r="B1"><f>1+1</f><v>2</v></c></row>'
            # No references: the row follows row 1, the cells count from column A.
            b'<row><c><v>1</v></c><c><f t="shared" si="0"/><v>5</v></c></row>'
            b'<row r="4"><c r="A4" s="1"><v>1</v></c><c r="C4"><f>NOW()</f></c></row>'
        )
    )
    formulas = {(n, i) for n, cells in enumerate(rows, 1) for i, (_v, kind) in enumerate(cells) if kind == "f"}
    assert formulas == {(1, 1), (2, 1), (4, 2)}
    assert rows[0][1] == (2, "f") and rows[3][0] == (1, "n")  # a formula's last value is kept, but marked


def test_merged_cells_are_listed_from_the_sheet():
    _rows, merged = read(raw(b'<row r="1"><c r="A1"><v>1</v></c></row>', merged=b'<mergeCell ref="A1:B2"/>'))
    assert merged == ["A1:B2"]


@pytest.mark.parametrize(
    "rows",
    [
        b'<row r="2"><c r="A1000"><v>1</v></c></row>',  # a cell numbered far below its row
        b'<row r="99999999999999999999"><c><v>1</v></c></row>',
        b'<row r="99"><c r="A99"><v>1</v></c></row><row><c><v>1</v></c></row><row><c><v>1</v></c></row>',
    ],
    ids=["cell below its row", "absurd row number", "unnumbered rows after row 99"],
)
def test_rows_reaching_past_the_ceiling_are_refused_before_calamine_reads_the_sheet(rows):
    with pytest.raises(excel.SpreadsheetError, match="more than 100 rows"):
        read(raw(rows))


def test_a_reference_not_written_first_still_counts():
    with pytest.raises(excel.SpreadsheetError, match="more than 100 rows"):
        read(raw(b'<row r="2"><c s="1" r = \'A5000\'><v>1</v></c></row>'))


@pytest.mark.parametrize("reference", [b"XFE1", b"1", b"A"])
def test_a_cell_reference_no_sheet_can_have_is_damaged(reference):
    with pytest.raises(excel.SpreadsheetError, match="damaged"):
        read(raw(b'<row r="1"><c r="' + reference + b'"><v>1</v></c></row>'))


def test_a_number_no_cell_can_hold_is_damaged():
    with pytest.raises(excel.SpreadsheetError, match="Row 1 of the “Data” sheet: The file is damaged"):
        read(raw(b'<row r="1"><c r="A1"><v>' + b"9" * 400 + b"</v></c></row>"))


def test_cells_past_the_columns_read_are_read_by_openpyxl_up_to_the_last_column_read():
    rows, _ = read(raw(b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'), max_columns=2)
    assert rows == [[(1, "n"), (None, "n")]]
