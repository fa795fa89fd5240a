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
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from xml.etree.ElementTree import iterparse

from defusedxml import DefusedXmlException, ElementTree
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import REL_NS, SHEET_MAIN_NS

from .exports import FORMULA_PREFIXES, neutralise
from .text import quote

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
UNPACKED_FLOOR = 1024 * 1024  # a small workbook's fixed parts (styles, theme) pack less well
# Elements a cell of a real sheet needs, counted generously: the cell, its value or formula, an inline
# string's two, and its share of rows, shared strings and styles.
ELEMENTS_PER_CELL = 4
ELEMENTS_SLACK = 100_000  # the parts every workbook has, whatever its size: styles, theme, properties
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


def read_workbook_safely(uploaded_file, *, max_bytes: int, max_rows: int, max_columns: int = 64) -> Workbook:
    """Open an uploaded .xlsx read-only, with formulas kept as formulas (cell ``data_type == "f"``).

    Raises ``SpreadsheetError`` for a file that is empty or larger than ``max_bytes``, is not an .xlsx by its
    content (whatever its name), is damaged, unpacks to far more than a spreadsheet would, or has a sheet
    with more than ``max_rows`` rows holding data. Every sheet's stated size is discarded, so iterating it
    reaches every row in the file, not only those the file claims to have.

    The work is bounded by what the caller reads, ``max_rows`` rows of ``max_columns`` columns, not by what
    the file claims, and a file that cannot fit is refused before openpyxl parses any of it: the package's
    raw XML is counted first (every part's elements, so also the shared strings openpyxl loads up front,
    and each part's rows and cells, stopping as soon as a count passes its limit), then each sheet's stated
    size (its ``<dimension>``). Read the rows with ``sheet_rows``, which never reads past ``max_columns``."""
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
            # Measured against the file's own size (with a floor for small files), so a small file cannot make
            # the portal unpack hundreds of megabytes before saying no.
            allowed = UNPACKED_RATIO * min(max_bytes, max(len(data), UNPACKED_FLOOR))
            if sum(info.file_size for info in archive.infolist()) > allowed:
                raise SpreadsheetError(
                    "The file is too large to open once unpacked. Remove rows, sheets or pictures you do not "
                    "need, save it as an Excel workbook (.xlsx) and upload it again."
                )
            _count_package(archive, max_rows=max_rows, max_columns=max_columns)
    except SpreadsheetError:
        raise
    except Exception as exc:  # BadZipFile (a part's checksum), zlib.error, EOFError, unsupported compression...
        raise SpreadsheetError(DAMAGED) from exc

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, parse errors) for non-workbooks
        raise SpreadsheetError(NOT_EXCEL) from exc

    try:
        for ws in workbook.worksheets:
            _refuse_stated_size(ws, max_rows=max_rows, max_columns=max_columns)
            ws.reset_dimensions()
    except SpreadsheetError:
        workbook.close()
        raise
    except Exception as exc:  # a sheet whose XML cannot be read
        workbook.close()
        raise SpreadsheetError(DAMAGED) from exc
    return workbook


def sheet_rows(worksheet, *, max_rows: int, max_columns: int = 64) -> Iterator[tuple[int, tuple]]:
    """``(row number, cells)`` for each row of a sheet opened by ``read_workbook_safely``, from row 1, each
    with exactly ``max_columns`` cells (empty ones too): columns after them are never read, whatever a row
    holds. A row numbered past ``max_rows`` (a file numbers its rows as it likes, and openpyxl fills the gap
    with empty rows) and a cell that cannot be read are refused with ``SpreadsheetError``."""
    rows = worksheet.iter_rows(max_col=max_columns, max_row=max_rows + 1)
    number = 0
    try:
        for number, cells in enumerate(rows, start=1):
            if number > max_rows:
                raise SpreadsheetError(_too_many_rows(worksheet.title, max_rows))
            yield number, cells
    except SpreadsheetError:
        raise
    except Exception as exc:  # a cell openpyxl cannot convert (a number of 5,000 digits), or broken XML
        raise SpreadsheetError(f"Row {number + 1} of the “{quote(worksheet.title, 31)}” sheet: {DAMAGED}") from exc


def _too_many_rows(title: str | None, max_rows: int) -> str:
    sheet = f"The “{quote(title, 31)}” sheet" if title else "A sheet of the workbook"
    return f"{sheet} has more than {max_rows:,} rows. Remove the rows you do not need and upload it again."


def _too_many_cells(title: str | None, max_rows: int, max_columns: int, last_column: int | None = None) -> str:
    sheet = f"The “{quote(title, 31)}” sheet" if title else "A sheet of the workbook"
    reach = f" (it reaches column {get_column_letter(last_column)})" if last_column else ""
    return (
        f"{sheet} has more cells than fit in {max_rows:,} rows of {max_columns} columns{reach}: only columns A to "
        f"{get_column_letter(max_columns)} are read. Delete the columns and rows you do not need (select them and "
        "delete them, not only their contents) and upload it again."
    )


def _refuse_stated_size(worksheet, *, max_rows: int, max_columns: int) -> None:
    """Refuse a sheet whose ``<dimension>`` (read by openpyxl when it opened the sheet, before any row) says
    it is bigger than ``max_rows`` rows or ``max_rows`` × ``max_columns`` cells."""
    if worksheet.max_row is None or worksheet.max_column is None:  # the sheet does not say
        return
    rows = worksheet.max_row - (worksheet.min_row or 1) + 1
    columns = worksheet.max_column - (worksheet.min_column or 1) + 1
    if rows > max_rows:
        raise SpreadsheetError(_too_many_rows(worksheet.title, max_rows))
    if rows * columns > max_rows * max_columns:
        last = min(worksheet.max_column, 16_384)
        raise SpreadsheetError(_too_many_cells(worksheet.title, max_rows, max_columns, last))


def _count_package(archive: zipfile.ZipFile, *, max_rows: int, max_columns: int) -> None:
    """Count the package's raw XML before openpyxl parses it (it would parse a whole sheet just to learn its
    size when the sheet does not state one, and load every shared string). Refuses, naming the sheet where it
    can, a part with more than ``max_rows`` rows or ``max_rows`` × ``max_columns`` cells, and a package with
    more elements than ``ELEMENTS_PER_CELL`` for each of those cells. Each count stops as soon as it passes
    its limit, so refusing costs little; a part read through also has its checksum checked."""
    max_cells = max_rows * max_columns
    elements_left = ELEMENTS_PER_CELL * max_cells + ELEMENTS_SLACK
    for info in archive.infolist():
        if info.is_dir():
            continue
        with archive.open(info) as part:
            counts = _count_part(part, max_rows=max_rows, max_columns=max_columns, max_elements=elements_left)
        if counts.rows > max_rows:
            raise SpreadsheetError(_too_many_rows(_sheet_titles(archive).get(info.filename), max_rows))
        if counts.cells > max_cells or counts.widest > max_columns:
            raise SpreadsheetError(_too_many_cells(_sheet_titles(archive).get(info.filename), max_rows, max_columns))
        elements_left -= counts.elements
        if elements_left < 0:
            raise SpreadsheetError(
                f"The file holds far more than a workbook of {max_rows:,} rows and {max_columns} columns could. "
                "Remove rows, columns or sheets you do not need, save it as an Excel workbook (.xlsx) and "
                "upload it again."
            )


# A row or cell element, with or without a namespace prefix; not <rowBreaks>, <col> and the like.
_ROW_OR_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")


def _count_part(source, *, max_rows: int, max_columns: int, max_elements: int) -> _Counts:
    """Rows, cells, the most cells in one row, and elements (start tags) in a part's raw XML, read in 1 MB
    chunks; counting stops once any count passes its limit (cells: ``max_rows`` × ``max_columns``). Parts
    that are not XML (pictures) count what looks like a tag, which only makes the limits stricter."""
    counts = _Counts()
    max_cells = max_rows * max_columns
    in_row = 0
    tail = b""
    while chunk := source.read(1 << 20):
        counts.elements += chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")
        data = tail + chunk
        for match in _ROW_OR_CELL_TAG.finditer(data):
            if match.end() <= len(tail):  # counted with the previous chunk
                continue
            if match.group(1) == b"row":
                counts.rows += 1
                in_row = 0
            else:
                counts.cells += 1
                in_row += 1
                counts.widest = max(counts.widest, in_row)
        if counts.rows > max_rows or counts.cells > max_cells or counts.widest > max_columns:
            break
        if counts.elements > max_elements:
            break
        tail = data[-64:]
    return counts


@dataclass
class _Counts:
    rows: int = 0
    cells: int = 0
    widest: int = 0  # the most cells in one row
    elements: int = 0


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet titles by the name of their part in the package, for a message; {} when the list of sheets is
    missing, unreadable or implausibly large (openpyxl then refuses the file, or the message names no sheet)."""
    try:
        if max(archive.getinfo(name).file_size for name in (_WORKBOOK, _WORKBOOK_RELS)) > 1024 * 1024:
            return {}
        relationships = ElementTree.fromstring(archive.read(_WORKBOOK_RELS))
        workbook = ElementTree.fromstring(archive.read(_WORKBOOK))
    except (KeyError, ElementTree.ParseError, DefusedXmlException):
        return {}
    parts = {rel.get("Id"): _part_name(rel.get("Target", "")) for rel in relationships}
    id_attribute = f"{{{REL_NS}}}id"
    return {
        parts[sheet.get(id_attribute)]: sheet.get("name", "")
        for sheet in workbook.iter(f"{{{SHEET_MAIN_NS}}}sheet")
        if sheet.get(id_attribute) in parts
    }


_WORKBOOK, _WORKBOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"


def _part_name(target: str) -> str:
    """A relationship's target (relative to the workbook's folder, or absolute) as a name in the ZIP."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _rows_in(source) -> int:
    """How many rows a sheet's raw XML holds (``source``: a binary stream), whatever its <dimension> says."""
    return _count_part(source, max_rows=2**62, max_columns=2**62, max_elements=2**62).rows


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
