"""The one table type: a title, columns each holding one *kind* of value, rows of raw values and a note.

A page and a PDF render it through ``templates/includes/table.html``, a CSV through
``exports.table_csv`` and a workbook sheet through ``excel.table_sheet``, so the four always show the same
rows. Each kind formats a value three ways, here and nowhere else:

- for reading (a page, a PDF): ``£1,891,988.00``, ``16.4%``, ``4 Jul 2026``, ``Yes``;
- for a CSV, plain and machine-readable: ``1891988.00``, ``16.4``, ``2026-07-04``, ``Yes``;
- for a workbook cell, a number with the kind's number format (16.4% is stored as 0.164).

A blank value (``None`` or "") reads as a dash and is empty in a CSV or a sheet, whatever the kind. Text in a
number column (a suppressed figure like "fewer than 5 boroughs") is shown as it is. The CSV and workbook
writers neutralise formula-like text; a page and a PDF show it as it is, since nothing runs there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .excel import DATE, MONEY

BLANK = "—"


def _places(value, places: str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _yes_no(value) -> str:
    return "Yes" if value else "No"


def _day(value: date) -> str:
    return f"{value:%-d %b %Y}"


@dataclass(frozen=True)
class Kind:
    display: Callable[[object], str]
    csv: Callable[[object], str]
    cell: Callable[[object], object] = lambda value: value
    number_format: str | None = None
    numeric: bool = True  # right-aligned on a page


KINDS = {
    "text": Kind(str, str, numeric=False),
    "count": Kind(lambda v: f"{v:,}", str, number_format="#,##0"),
    "fte": Kind(lambda v: f"{_places(v, '0.01'):,}", lambda v: str(_places(v, "0.01")), number_format="#,##0.00"),
    "money": Kind(lambda v: f"£{_places(v, '0.01'):,}", lambda v: str(_places(v, "0.01")), number_format=MONEY),
    "rate": Kind(lambda v: f"£{_places(v, '0.01')}", lambda v: str(_places(v, "0.01")), number_format=MONEY),
    # Percentages are held as percent (16.4); Excel's are fractions (0.164).
    "percent": Kind(lambda v: f"{v}%", str, cell=lambda v: Decimal(str(v)) / 100, number_format="0.0%"),
    "days": Kind(str, str, number_format="0.0"),
    "date": Kind(_day, date.isoformat, number_format=DATE),
    "yesno": Kind(_yes_no, _yes_no, cell=_yes_no, numeric=False),
}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # a key of KINDS

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"{self.title!r}: no kind of column called {self.kind!r}; choose one of {', '.join(KINDS)}"
            )

    @property
    def numeric(self) -> bool:
        return KINDS[self.kind].numeric

    @property
    def number_format(self) -> str | None:
        return KINDS[self.kind].number_format

    def display(self, value) -> str:
        """The value as a page or PDF shows it."""
        if value is None or value == "":
            return BLANK
        return value if isinstance(value, str) else KINDS[self.kind].display(value)

    def csv(self, value) -> str:
        """The value as a CSV holds it (before ``exports.neutralise``)."""
        if value is None or value == "":
            return ""
        return value if isinstance(value, str) else KINDS[self.kind].csv(value)

    def cell(self, value):
        """The value as a workbook cell holds it, formatted by ``number_format``."""
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else KINDS[self.kind].cell(value)


@dataclass
class Table:
    title: str  # a page's and a PDF's caption, a sheet's heading
    columns: list[Column]
    rows: Iterable[Sequence]  # a list for a page or a PDF; a CSV or a sheet streams any iterable once
    note: str = ""  # written under the table, and under the sheet's heading
    empty: str = "Nothing to report."  # said instead of a table with no rows
    sheet: str = ""  # the workbook sheet's name (31 characters at most); the title when blank
    links: list[str | None] = field(default_factory=list)  # a page link for each row's first cell, or None
    shown: int | None = None  # rows a page shows (the CSV and sheet have them all); None for all

    @property
    def header(self) -> list[str]:
        return [column.title for column in self.columns]

    def csv_rows(self) -> Iterator[list[str]]:
        for row in self.rows:
            yield [column.csv(value) for column, value in zip(self.columns, row, strict=True)]

    def cell_rows(self) -> Iterator[list]:
        for row in self.rows:
            yield [column.cell(value) for column, value in zip(self.columns, row, strict=True)]

    def shown_rows(self) -> list[tuple[str | None, list[tuple[str, bool]]]]:
        """The rows a page shows: each row's link and its cells as (text, numeric)."""
        rows = list(self.rows)
        links = self.links or [None] * len(rows)
        return [
            (link, [(column.display(value), column.numeric) for column, value in zip(self.columns, row, strict=True)])
            for link, row in list(zip(links, rows, strict=True))[: self.shown]
        ]

    def shown_rows_html(self) -> SafeString:
        """The rows a page shows as GOV.UK table rows (``templates/includes/table.html`` writes the rest): each
        row's first cell is its row header, a link where the table gives one; numbers are right-aligned.
        Written here, not in the template, because a dashboard holds some thousands of cells and the template
        language costs several times as much per cell; every value is escaped as the template escapes it."""
        html = []
        for link, cells in self.shown_rows():
            (head, _), rest = cells[0], cells[1:]
            head = (
                format_html('<a class="govuk-link" href="{}">{}</a>', link, head) if link else conditional_escape(head)
            )
            tds = "".join(
                f'<td class="govuk-table__cell{" govuk-table__cell--numeric" if numeric else ""}">'
                f"{conditional_escape(text)}</td>"
                for text, numeric in rest
            )
            row = f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{head}</th>{tds}</tr>'
            html.append(f"\n  {row}\n  ")  # spaced as the template's loop spaced them
        return mark_safe("".join(html))  # noqa: S308 - every value in it is escaped above

    @property
    def cut(self) -> bool:
        """Whether a page shows fewer rows than there are."""
        return self.shown is not None and len(self.rows) > self.shown
