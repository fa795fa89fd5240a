"""The one Excel writer every export uses, and the one safe way to open a workbook someone uploaded.

Writing streams rows (openpyxl write-only mode), so a sheet of 100,000 rows needs little memory, and
passes every text cell through ``exports.neutralise`` so nothing typed by a user runs as a formula.

Reading refuses, with a message that says what to do, anything that is not a modest, well-formed .xlsx:
too large, not a ZIP by its content, damaged, too large once unpacked, or with too many rows. Workbooks
are opened read-only with formulas kept as formulas, so callers can refuse them rather than trust a value
Excel last calculated.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from xml.etree.ElementTree import iterparse

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHEET_MAIN_NS

from .exports import FORMULA_PREFIXES, neutralise

if TYPE_CHECKING:
    from .tables import Table

MONEY = "£#,##0.00"
PERCENT = "0.00%"
DATE = "dd/mm/yyyy"
DATE_TIME = "dd/mm/yyyy hh:mm"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls files, and password-protected .xlsx files
# XML in a real workbook packs about 5 to 20 times smaller; a file that unpacks to far more than that is a
# "zip bomb" meant to exhaust memory or time, or is not a spreadsheet at all.
UNPACKED_RATIO = 40
MAX_CELL_TEXT = 32_767 - 1  # room for the apostrophe neutralise may add
_BAD_TITLE_CHARACTERS = re.compile(r"[\\/*?:\[\]]")


@dataclass
class Sheet:
    """One sheet of a workbook to write.

    Column positions in ``column_formats`` and ``widths`` count from 0, like the values in each row.
    ``notes`` are plain lines written above the table (or alone, for a README or About sheet): a string
    fills column A, a sequence spreads across columns (e.g. a label and its value)."""

    title: str
    header: list[str] = field(default_factory=list)
    rows: Iterable[Sequence] = ()
    column_formats: dict[int, str] = field(default_factory=dict)
    widths: Sequence[float] = ()
    notes: list[str | Sequence] = field(default_factory=list)
    # openpyxl ``DataValidation`` objects (drop-down lists, date and number checks), and whether the sheet is
    # hidden (e.g. the lists behind drop-downs).
    validations: list = field(default_factory=list)
    hidden: bool = False


def table_sheet(table: Table, *, heading: str = "") -> Sheet:
    """A ``tables.Table`` as a sheet: ``heading`` (the table's title by default) and its note above the
    header, then every row with each column's values stored as its kind's cells and number format. Named
    by the table's ``sheet`` (or title); the rows stream."""
    return Sheet(
        title=table.sheet or table.title,
        header=table.header,
        rows=table.cell_rows(),
        column_formats={i: column.number_format for i, column in enumerate(table.columns) if column.number_format},
        widths=[max(12, min(40, len(column.title) + 4)) for column in table.columns],
        notes=[heading or table.title, *([table.note] if table.note else [])],
    )


def write_workbook(sheets: list[Sheet]) -> bytes:
    """Write ``sheets`` to .xlsx bytes: a bold, frozen header row with a filter over the data, number formats
    applied, dates and times in UK form, and every text cell neutralised."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    ws = workbook.create_sheet(_sheet_title(sheet.title))
    for validation in sheet.validations:
        ws.data_validations.append(validation)
    if sheet.hidden:
        ws.sheet_state = "hidden"
    # Column widths and frozen panes must be set before the first row is streamed out.
    for position, width in enumerate(sheet.widths):
        if width:
            ws.column_dimensions[get_column_letter(position + 1)].width = width
    # The notes, a blank line after them, then the header.
    header_row = (len(sheet.notes) + (1 if sheet.notes else 0) + 1) if sheet.header else None
    if header_row:
        ws.freeze_panes = f"A{header_row + 1}"

    wrap = Alignment(wrap_text=True, vertical="top")
    for note in sheet.notes:
        values = ([note] if note else []) if isinstance(note, str) else list(note)
        ws.append([_cell(ws, value, alignment=wrap) for value in values])
    if not sheet.header:
        return
    if sheet.notes:
        ws.append([])

    bold = Font(bold=True)
    ws.append([_cell(ws, title, font=bold) for title in sheet.header])
    last_row = header_row
    formats = sheet.column_formats
    for row in sheet.rows:
        ws.append([_cell(ws, value, number_format=formats.get(i)) for i, value in enumerate(row)])
        last_row += 1
    # The filter's range is written after the rows, so it can cover exactly the rows written.
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(sheet.header))}{last_row}"


def _cell(ws, value, *, number_format: str | None = None, font: Font | None = None, alignment: Alignment | None = None):
    """A value ready to stream: text neutralised and made storable, dates and times in UK form, and a styled
    cell only where style is needed (most cells in a large export are plain, and plain values stream faster)."""
    if isinstance(value, str):
        # Control characters (pasted from other programs) cannot be stored in a workbook, and a cell holds
        # at most 32,767 characters.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    value = neutralise(value)
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # Excel has no time zones: show UK local time
        number_format = number_format or DATE_TIME
    elif isinstance(value, date):
        number_format = number_format or DATE
    if value is None or not (number_format or font or (alignment and isinstance(value, str))):
        return value
    cell = WriteOnlyCell(ws, value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    if alignment and isinstance(value, str):
        cell.alignment = alignment
    return cell


def _sheet_title(title: str) -> str:
    return _BAD_TITLE_CHARACTERS.sub("-", title)[:31] or "Sheet"


class SpreadsheetError(ValueError):
    """An uploaded file we will not read; ``message`` says what is wrong and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


NOT_EXCEL = "The file is not an Excel workbook (.xlsx). Save it as an Excel workbook and upload it again."
DAMAGED = "The file is damaged and cannot be opened. Save it again as an Excel workbook (.xlsx) and upload it again."


def read_workbook_safely(uploaded_file, *, max_bytes: int, max_rows: int) -> Workbook:
    """Open an uploaded .xlsx read-only, with formulas kept as formulas (cell ``data_type == "f"``).

    Raises ``SpreadsheetError`` for a file that is empty or larger than ``max_bytes``, is not an .xlsx by its
    content (whatever its name), is damaged, unpacks to far more than a spreadsheet would, or has a sheet
    with more than ``max_rows`` rows holding data. Every sheet's stated size is discarded, so iterating it
    reaches every row in the file, not only those the file claims to have."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_bytes:
        raise SpreadsheetError(_too_large(max_bytes))
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SpreadsheetError(_too_large(max_bytes))
    if not data:
        raise SpreadsheetError("The selected file is empty. Choose an Excel workbook (.xlsx) with the figures in it.")
    if data.startswith(_OLE_MAGIC):
        raise SpreadsheetError(
            "The file is an older Excel format (.xls) or is protected with a password. "
            "Save it as an Excel workbook (.xlsx) without a password and upload it again."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise SpreadsheetError(NOT_EXCEL)

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > max_bytes * UNPACKED_RATIO:
                raise SpreadsheetError(
                    "The file is too large to open once unpacked. Remove rows, sheets or pictures you do not "
                    "need, save it as an Excel workbook (.xlsx) and upload it again."
                )
            if archive.testzip() is not None:
                raise SpreadsheetError(DAMAGED)
    except SpreadsheetError:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, unsupported compression...
        raise SpreadsheetError(DAMAGED) from exc

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, parse errors) for non-workbooks
        raise SpreadsheetError(NOT_EXCEL) from exc

    try:
        for ws in workbook.worksheets:
            ws.reset_dimensions()
            if _rows_in(ws) > max_rows:
                raise SpreadsheetError(
                    f"The “{ws.title}” sheet has more than {max_rows:,} rows. "
                    "Remove the rows you do not need and upload it again."
                )
    except SpreadsheetError:
        workbook.close()
        raise
    except Exception as exc:  # a sheet whose XML cannot be read
        workbook.close()
        raise SpreadsheetError(DAMAGED) from exc
    return workbook


# A row element, with or without a namespace prefix; not <rowBreaks> and the like.
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")


def _rows_in(worksheet) -> int:
    """How many rows a sheet's XML holds, whatever its <dimension> claims, counted in the raw XML (a tenth
    of the time of parsing it; the reader parses it once afterwards anyway). Empty rows count too, which
    only makes the limit stricter."""
    count, tail = 0, b""
    with worksheet._get_source() as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            count += sum(1 for match in _ROW_TAG.finditer(data) if match.end() > len(tail))
            tail = data[-64:]
    return count


def merged_ranges(worksheet) -> list[str]:
    """The merged ranges of a sheet opened by ``read_workbook_safely`` (e.g. ``["A4:B4"]``).

    openpyxl's read-only sheets do not report merged cells, so this reads them from the sheet's XML."""
    tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    ranges = []
    # _get_source is openpyxl's (pinned) way to reopen a read-only sheet's XML from the workbook.
    with worksheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == tag:
                ranges.append(element.get("ref", ""))
            if element.tag.endswith("}row"):
                element.clear()  # keep memory flat: cell data is not needed here
    return ranges


def cell_text(value) -> str:
    """A cell's content as trimmed text ("" for an empty cell), undoing the apostrophe that
    ``exports.neutralise`` adds, so a value written by ``write_workbook`` reads back as it was."""
    if value is None:
        return ""
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
        return text[1:]
    return text


def _too_large(max_bytes: int) -> str:
    limit = f"{max_bytes // (1024 * 1024)} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes // 1024} KB"
    return f"The selected file must be smaller than {limit}. Remove rows you do not need and upload it again."
