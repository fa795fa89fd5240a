"""The one Excel writer every export uses, and the one safe way to open a workbook someone uploaded.

Writing streams rows (openpyxl write-only mode), so a sheet of 100,000 rows needs little memory, and
passes every text cell through ``exports.neutralise`` so nothing typed by a user runs as a formula.

Reading refuses, with a message that says what to do, anything that is not a modest, well-formed .xlsx:
too large, not a ZIP by its content, damaged, too large once unpacked, or with too many rows. Its raw XML
is counted before any reader parses it; then calamine (a reader written in Rust, several times faster than
openpyxl) reads the sheets asked for. Cells holding formulas are marked as formulas (``data_type == "f"``),
so callers can refuse them rather than trust a value Excel last calculated.
"""

from __future__ import annotations

import contextlib
import io
import math
import posixpath
import re
import zipfile
from collections import defaultdict
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
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.xml.constants import REL_NS, SHEET_MAIN_NS
from python_calamine import CalamineWorkbook, SheetTypeEnum

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


def read_workbook_safely(uploaded_file, *, max_bytes: int, max_rows: int, max_columns: int = 64) -> UploadedWorkbook:
    """Open an uploaded .xlsx for reading: its ``worksheets`` (each with a ``title``) are read with
    ``sheet_rows`` and ``merged_ranges``, through calamine (a reader written in Rust), a sheet only when read.

    Raises ``SpreadsheetError`` for a file that is empty or larger than ``max_bytes``, is not an .xlsx by its
    content (whatever its name), is damaged, unpacks to far more than a spreadsheet would, or has a sheet
    stating a size beyond ``max_rows`` rows or ``max_rows`` × ``max_columns`` cells.

    The work is bounded by what the caller reads, ``max_rows`` rows of ``max_columns`` columns, not by what
    the file claims, and a file that cannot fit is refused before any reader parses it: the package's raw
    XML is counted first (every part's elements, so also the shared strings loaded up front, each part's
    rows and cells and how far down and across they reach, its formulas and merged cells, each count
    stopping as soon as it passes its limit), then each sheet's stated size (its ``<dimension>``)."""
    data = _read_upload(uploaded_file, max_bytes)
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
            parts = _count_package(archive, max_rows=max_rows, max_columns=max_columns)
            titles = _sheet_titles(archive)
    except SpreadsheetError:
        raise
    except Exception as exc:  # BadZipFile (a part's checksum), zlib.error, EOFError, unsupported compression...
        raise SpreadsheetError(DAMAGED) from exc

    for name, counts in parts.items():
        _refuse_stated_size(counts.dimension, titles.get(name), max_rows=max_rows, max_columns=max_columns)
    try:
        book = _open_calamine(io.BytesIO(data))
        names = [sheet.name for sheet in book.sheets_metadata if sheet.typ == SheetTypeEnum.WorkSheet]
    except Exception as exc:  # calamine's errors (and others) for a ZIP that is not a workbook
        raise SpreadsheetError(NOT_EXCEL) from exc
    return UploadedWorkbook(book, data, names, {title: parts.get(name) for name, title in titles.items()})


def _read_upload(uploaded_file, max_bytes: int) -> bytes:
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
    return data


def _open_calamine(source) -> CalamineWorkbook:
    """The one place an uploaded workbook is handed to calamine (tests replace it to prove a refusal came first)."""
    return CalamineWorkbook.from_object(source)


class UploadedWorkbook:
    """A workbook opened by ``read_workbook_safely``: ``worksheets`` in order, each with its ``title``, also
    found by ``workbook[title]``. Read a sheet with ``sheet_rows`` and ``merged_ranges``; ``close`` when done."""

    def __init__(self, book: CalamineWorkbook, data: bytes, names: list[str], counts: dict):
        self._book = book
        self._data = data
        self._openpyxl = None  # opened only to read a sheet with cells past the columns read
        self.worksheets = [UploadedSheet(self, name, counts.get(name)) for name in names]

    @property
    def sheetnames(self) -> list[str]:
        return [ws.title for ws in self.worksheets]

    def __getitem__(self, title: str) -> UploadedSheet:
        for ws in self.worksheets:
            if ws.title == title:
                return ws
        raise KeyError(title)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed
            self._book.close()
        if self._openpyxl is not None:
            self._openpyxl.close()

    def _part(self, name: str):
        return zipfile.ZipFile(io.BytesIO(self._data)).open(name)

    def _openpyxl_sheet(self, title: str):
        if self._openpyxl is None:
            self._openpyxl = load_workbook(io.BytesIO(self._data), read_only=True, data_only=False)
        ws = self._openpyxl[title]
        ws.reset_dimensions()  # its stated size was checked when the file was opened
        return ws


@dataclass
class UploadedSheet:
    workbook: UploadedWorkbook = field(repr=False)
    title: str
    # What the raw XML of its part holds; None when the workbook's list of sheets does not name the part.
    counts: _Counts | None = field(repr=False)


class Cell:
    """A cell of a row from ``sheet_rows``: its ``value`` (None when empty) and ``data_type`` ("f" for a
    formula, whatever value it last showed, otherwise "s", "n", "b" or "d"), as openpyxl's cells have them."""

    __slots__ = ("value", "data_type")

    def __init__(self, value, data_type: str):
        self.value = value
        self.data_type = data_type

    def __repr__(self) -> str:
        return f"Cell({self.value!r}, {self.data_type!r})"


EMPTY_CELL = Cell(None, "n")


def sheet_rows(worksheet: UploadedSheet, *, max_rows: int, max_columns: int = 64) -> Iterator[tuple[int, tuple]]:
    """``(row number, cells)`` for each row of a sheet opened by ``read_workbook_safely``, from row 1, each
    with exactly ``max_columns`` cells (empty ones too): columns after them are never read, whatever a row
    holds. A sheet with a row numbered past ``max_rows`` (a file numbers its rows as it likes) is refused
    with ``SpreadsheetError`` before any of it is read, and so is a cell that cannot be read.

    calamine holds a sheet in memory as one block, up to its farthest cell: a sheet with cells past
    ``max_columns`` (a borough's own notes in column XFD) is read by openpyxl instead, which stops at
    ``max_columns`` (slower, but as slow as rows of that many cells, never more)."""
    counts = worksheet.counts
    if counts is not None and counts.last_row > max_rows:
        raise SpreadsheetError(_too_many_rows(worksheet.title, max_rows))
    if counts is None or counts.last_column > max_columns:
        yield from _openpyxl_rows(worksheet, max_rows=max_rows, max_columns=max_columns)
        return
    try:
        values = worksheet.workbook._book.get_sheet_by_name(worksheet.title).to_python(skip_empty_area=False)
        formulas = _formula_cells(worksheet) if counts.formulas else {}
    except Exception as exc:  # XML calamine cannot read
        raise SpreadsheetError(f"The “{quote(worksheet.title, 31)}” sheet: {DAMAGED}") from exc
    number = 0
    try:
        padding = (EMPTY_CELL,) * max_columns
        cell = _read_cell
        for number, row in enumerate(values, start=1):
            if number > max_rows:
                raise SpreadsheetError(_too_many_rows(worksheet.title, max_rows))
            cells = [cell(value) for value in row[:max_columns]]
            for column in formulas.get(number, ()):
                if column < len(cells):
                    cells[column] = Cell(cells[column].value, "f")
                elif column < max_columns:
                    cells += [EMPTY_CELL] * (column - len(cells)) + [Cell(None, "f")]
            yield number, (*cells, *padding[len(cells) :])
    except SpreadsheetError:
        raise
    except Exception as exc:  # a number no cell can hold
        raise SpreadsheetError(f"Row {number} of the “{quote(worksheet.title, 31)}” sheet: {DAMAGED}") from exc


def _read_cell(value) -> Cell:
    kind = type(value)
    if kind is str:
        return Cell(value, "s") if value else EMPTY_CELL
    if kind is float:
        if value.is_integer():
            return Cell(int(value), "n")  # Excel keeps every number as a float: 4 reads as 4, as openpyxl gives it
        if not math.isfinite(value):
            raise ValueError("a number no cell can hold")
        return Cell(value, "n")
    if kind is bool:
        return Cell(value, "b")
    if kind is int:
        return Cell(value, "n")
    return Cell(value, "d")  # a date, a date and time, a time or a duration


def _openpyxl_rows(worksheet: UploadedSheet, *, max_rows: int, max_columns: int) -> Iterator[tuple[int, tuple]]:
    """The rows of a sheet with cells past ``max_columns``, read by openpyxl up to that column only."""
    number = 0
    try:
        ws = worksheet.workbook._openpyxl_sheet(worksheet.title)
        for number, cells in enumerate(ws.iter_rows(max_col=max_columns, max_row=max_rows + 1), start=1):
            if number > max_rows:
                raise SpreadsheetError(_too_many_rows(worksheet.title, max_rows))
            yield number, cells
    except SpreadsheetError:
        raise
    except Exception as exc:  # a cell openpyxl cannot convert (a number of 5,000 digits), or broken XML
        raise SpreadsheetError(f"Row {number + 1} of the “{quote(worksheet.title, 31)}” sheet: {DAMAGED}") from exc


def _formula_cells(worksheet: UploadedSheet) -> dict[int, list[int]]:
    """Where a sheet's formulas are: row number -> columns (from 0). calamine gives a formula's last value,
    not the formula, so the sheet's XML is read for them, only when counting it found one. A row or cell
    without its reference follows the one before it, as calamine places it."""
    found: dict[int, list[int]] = defaultdict(list)
    row = column = 0
    with worksheet.workbook._part(worksheet.counts.part) as source:
        for event, element in ElementTree.iterparse(source, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "end":
                if tag == "row":
                    element.clear()  # keep memory flat: the values are calamine's to read
                continue
            if tag == "row":
                reference = element.get("r")
                row = int(reference) if reference else row + 1
                column = -1
            elif tag == "c":
                reference = element.get("r")
                if reference:
                    row = int(reference.lstrip(_LETTERS))
                    column = column_index_from_string(reference.rstrip("0123456789")) - 1
                else:
                    column += 1
            elif tag == "f":
                found[row].append(column)
    return found


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def merged_ranges(worksheet: UploadedSheet) -> list[str]:
    """The merged ranges of a sheet opened by ``read_workbook_safely`` (e.g. ``["A4:B4"]``), read from the
    sheet's XML only when counting it found any."""
    counts = worksheet.counts
    if counts is not None and not counts.merged:
        return []
    if counts is None:
        return _openpyxl_merged(worksheet)
    ranges = []
    with worksheet.workbook._part(counts.part) as source:
        for _event, element in ElementTree.iterparse(source):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "mergeCell":
                ranges.append(element.get("ref", ""))
            elif tag == "row":
                element.clear()  # keep memory flat: cell data is not needed here
    return ranges


def _openpyxl_merged(worksheet: UploadedSheet) -> list[str]:
    tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    ranges = []
    # _get_source is openpyxl's (pinned) way to reopen a read-only sheet's XML from the workbook.
    with worksheet.workbook._openpyxl_sheet(worksheet.title)._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == tag:
                ranges.append(element.get("ref", ""))
            if element.tag.endswith("}row"):
                element.clear()
    return ranges


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


def _refuse_stated_size(dimension: str | None, title: str | None, *, max_rows: int, max_columns: int) -> None:
    """Refuse a sheet whose ``<dimension>`` says it is bigger than ``max_rows`` rows or ``max_rows`` ×
    ``max_columns`` cells. A dimension that cannot be read says nothing."""
    if not dimension:
        return
    try:
        min_column, min_row, max_column, max_row = range_boundaries(dimension)
    except (ValueError, TypeError):
        return
    if None in (min_column, min_row, max_column, max_row):
        return
    rows = max_row - min_row + 1
    columns = max_column - min_column + 1
    if rows > max_rows:
        raise SpreadsheetError(_too_many_rows(title, max_rows))
    if rows * columns > max_rows * max_columns:
        raise SpreadsheetError(_too_many_cells(title, max_rows, max_columns, min(max_column, 16_384)))


def _count_package(archive: zipfile.ZipFile, *, max_rows: int, max_columns: int) -> dict[str, _Counts]:
    """Count the package's raw XML before any reader parses it (a reader would load every shared string,
    and calamine holds a sheet as one block up to its farthest cell). Refuses, naming the sheet where it
    can, a part with more than ``max_rows`` rows or ``max_rows`` × ``max_columns`` cells, and a package with
    more elements than ``ELEMENTS_PER_CELL`` for each of those cells. Each count stops as soon as it passes
    its limit, so refusing costs little; a part read through also has its checksum checked. Returns each
    part's counts by its name in the package."""
    max_cells = max_rows * max_columns
    elements_left = ELEMENTS_PER_CELL * max_cells + ELEMENTS_SLACK
    parts = {}
    for info in archive.infolist():
        if info.is_dir():
            continue
        with archive.open(info) as part:
            counts = _count_part(part, max_rows=max_rows, max_columns=max_columns, max_elements=elements_left)
        counts.part = info.filename
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
        parts[info.filename] = counts
    return parts


# A row, cell, formula, merged range or stated size, with or without a namespace prefix (not <rowBreaks>,
# <col>, <font> and the like); its reference when it comes first, as every spreadsheet program writes it;
# then the rest of its attributes.
_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(row|c|f|mergeCell|dimension)(?=[\s/>])(?:\s+r="([A-Z]*)(\d+)")?([^<>]*)')
_REFERENCE = re.compile(rb"""(?:^|\s)r\s*=\s*(["'])([A-Za-z]*)(\d*)\1""")
_DIMENSION = re.compile(rb"""(?:^|\s)ref\s*=\s*["']([^"']{1,40})["']""")
_CHUNK = 1 << 20


def _count_part(source, *, max_rows: int, max_columns: int, max_elements: int) -> _Counts:
    """What a part's raw XML holds, read in 1 MB chunks: rows, cells, the most cells in one row, elements
    (start tags), formulas and merged ranges, and the farthest row and column a cell reaches, placed as
    calamine places them (a row or cell without its reference follows the one before it). Counting stops
    once any count passes its limit (cells: ``max_rows`` × ``max_columns``). Parts that are not XML
    (pictures) count what looks like a tag, which only makes the limits stricter."""
    counts = _Counts()
    max_cells = max_rows * max_columns
    rows = cells = widest = in_row = last_row = last_column = row = column = 0
    row_digits = b""
    columns = _COLUMN_NUMBERS
    carry = b""
    while True:
        chunk = source.read(_CHUNK)
        counts.elements += chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?") - chunk.count(b"<!")
        data = carry + chunk
        # Tags are read whole: what follows the last "<" waits for the next chunk, unless it cannot be a tag.
        end = data.rfind(b"<") if chunk else len(data)
        if end < 0 or len(data) - end > 4 * _CHUNK:
            end = len(data)
        # findall gives each tag's groups as a tuple, with b"" for a group that did not take part.
        for kind, letters, digits, rest in _TAG.findall(data, 0, end):
            if not digits and kind in (b"c", b"row") and b"r" in rest:
                reference = _REFERENCE.search(rest)
                if reference:
                    letters, digits = reference.group(2, 3)
                    if not digits or (kind == b"c") != bool(letters):
                        raise SpreadsheetError(DAMAGED)
            if kind == b"c":
                cells += 1
                in_row += 1
                if in_row > widest:
                    widest = in_row
                if not digits:
                    column += 1
                else:
                    column = columns.get(letters) or _column_number(letters)
                    if digits != row_digits:
                        row = int(digits)
                        if row > last_row:
                            last_row = row
                if column > last_column:
                    last_column = column
            elif kind == b"row":
                rows += 1
                in_row = column = 0
                row = int(digits) if digits else row + 1
                row_digits = digits or str(row).encode()
                if row > last_row:
                    last_row = row
            elif kind == b"f":
                counts.formulas += 1
            elif kind == b"mergeCell":
                counts.merged += 1
            elif (stated := _DIMENSION.search(rest)) is not None:
                counts.dimension = stated.group(1).decode("ascii", "replace")
        carry = data[end:]
        if rows > max_rows or cells > max_cells or widest > max_columns or counts.elements > max_elements:
            break
        if not chunk:
            break
    counts.rows, counts.cells, counts.widest = rows, cells, widest
    counts.last_row, counts.last_column = last_row, last_column
    return counts


def _column_number(letters: bytes) -> int:
    """A column's number (A is 1) from its letters; past XFD, the farthest a sheet may reach, it is damaged."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    if not letters or number > 16_384:
        raise SpreadsheetError(DAMAGED)
    _COLUMN_NUMBERS[letters] = number
    return number


_COLUMN_NUMBERS: dict[bytes, int] = {}


@dataclass
class _Counts:
    rows: int = 0
    cells: int = 0
    widest: int = 0  # the most cells in one row
    elements: int = 0
    formulas: int = 0
    merged: int = 0
    last_row: int = 0  # the farthest row a cell or row reaches (numbered from 1)
    last_column: int = 0  # the farthest column a cell reaches (numbered from 1)
    dimension: str | None = None  # the size the sheet states, like "A1:P5001"
    part: str = ""  # its name in the package


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
