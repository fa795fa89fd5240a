"""The row ceiling of uploaded workbooks is counted in the sheet's raw XML, across read chunks."""

import io

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
        with workbook["Data"]._get_source() as source:
            assert excel._rows_in(source) == rows
        workbook.close()


def test_rows_straddling_read_chunks_are_counted_once():
    # Wide rows make the sheet's XML several megabytes, so rows fall across the 1 MB read chunks.
    data = workbook_with(600, columns=300)
    workbook = excel.read_workbook_safely(
        SimpleUploadedFile("w.xlsx", data), max_bytes=10**8, max_rows=10_000, max_columns=300
    )
    with workbook["Data"]._get_source() as source:
        assert len(source.read()) > 3 * (1 << 20)
    with workbook["Data"]._get_source() as source:
        assert excel._rows_in(source) == 600
    workbook.close()
