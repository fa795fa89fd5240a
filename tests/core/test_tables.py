"""The one table type: each kind of column read on a page, written to a CSV and stored in a workbook; blanks
in every kind; formula-like text neutralised in files; and one table giving the same rows everywhere."""

import csv
import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.template.loader import render_to_string

from pledge_portal.core.excel import DATE, MONEY, table_sheet, write_workbook
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import KINDS, Column, Table

# kind, value, on a page or in a PDF, in a CSV, in a workbook cell, the cell's number format
EXAMPLES = [
    ("text", "Camden", "Camden", "Camden", "Camden", "General"),
    ("count", 12345, "12,345", "12345", 12345, "#,##0"),
    ("fte", Decimal("1234.5"), "1,234.50", "1234.50", 1234.5, "#,##0.00"),
    ("money", Decimal("1891988"), "£1,891,988.00", "1891988.00", 1891988, MONEY),
    ("rate", Decimal("36.405"), "£36.41", "36.41", 36.405, MONEY),
    ("percent", Decimal("16.4"), "16.4%", "16.4", 0.164, "0.0%"),
    ("days", Decimal("2.5"), "2.5", "2.5", 2.5, "0.0"),
    ("date", date(2026, 7, 4), "4 Jul 2026", "2026-07-04", date(2026, 7, 4), DATE),
    ("yesno", True, "Yes", "Yes", "Yes", "General"),
    ("yesno", False, "No", "No", "No", "General"),
]


class _Cells(HTMLParser):
    """The text of each body row's cells, and each cell's classes."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.classes: list[list[str]] = []
        self._in_body = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
            self.classes.append([])
        elif tag in ("th", "td") and self._in_body:
            self._in_cell = True
            self.rows[-1].append("")
            self.classes[-1].append(dict(attrs).get("class", ""))

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._in_cell = False
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._in_cell:
            self.rows[-1][-1] += data


def page(table: Table) -> _Cells:
    parser = _Cells()
    parser.feed(render_to_string("includes/table.html", {"table": table}))
    return parser


def csv_rows(table: Table) -> list[list[str]]:
    content = table_csv(table)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def sheet(table: Table):
    """The table's sheet read back: the header's row number and the worksheet."""
    ws = openpyxl.load_workbook(io.BytesIO(write_workbook([table_sheet(table)])))[table.sheet or table.title]
    header = int(ws.auto_filter.ref.split(":")[0][1:])
    return header, ws


def one_value(kind: str, value) -> Table:
    return Table("Example", [Column("Name"), Column("Value", kind)], [["Row", value]])


@pytest.mark.parametrize(("kind", "value", "shown", "in_csv", "stored", "number_format"), EXAMPLES)
def test_each_kind_is_read_on_a_page_plain_in_a_csv_and_a_formatted_cell(
    kind, value, shown, in_csv, stored, number_format
):
    table = one_value(kind, value)

    assert page(table).rows == [["Row", shown]]
    assert csv_rows(table) == [["Name", "Value"], ["Row", in_csv]]
    header, ws = sheet(table)
    cell = ws.cell(header + 1, 2)
    assert (cell.value.date() if kind == "date" else cell.value) == stored
    assert cell.number_format == number_format


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_blank_is_a_dash_on_a_page_and_empty_in_files_in_every_kind(kind):
    table = Table("Blanks", [Column("Name"), Column("Value", kind)], [["None", None], ["Empty", ""]])

    assert page(table).rows == [["None", "—"], ["Empty", "—"]]
    assert csv_rows(table)[1:] == [["None", ""], ["Empty", ""]]
    header, ws = sheet(table)
    assert [ws.cell(header + n, 2).value for n in (1, 2)] == [None, None]


def test_numbers_are_right_aligned_and_text_is_not():
    table = Table("Mixed", [Column("Borough"), Column("Status"), Column("Rows", "count")], [["Camden", "Draft", 3]])
    assert page(table).classes == [
        ["govuk-table__header", "govuk-table__cell", "govuk-table__cell govuk-table__cell--numeric"]
    ]


def test_text_in_a_number_column_is_shown_as_it_is():
    table = one_value("count", "fewer than 5 boroughs")
    assert page(table).rows == [["Row", "fewer than 5 boroughs"]]
    assert csv_rows(table)[1] == ["Row", "fewer than 5 boroughs"]
    header, ws = sheet(table)
    assert ws.cell(header + 1, 2).value == "fewer than 5 boroughs"


def test_formula_like_text_is_neutralised_in_the_csv_and_the_workbook_and_shown_on_the_page():
    evil = '=HYPERLINK("http://evil.test","click")'
    table = Table("Agencies", [Column("Agency"), Column("Note")], [[evil, "@SUM(1+1)"], ["-2+3", "+44"]])

    assert csv_rows(table)[1:] == [["'" + evil, "'@SUM(1+1)"], ["'-2+3", "'+44"]]
    header, ws = sheet(table)
    cells = [ws.cell(header + r, c) for r in (1, 2) for c in (1, 2)]
    assert [c.value for c in cells] == ["'" + evil, "'@SUM(1+1)", "'-2+3", "'+44"]
    assert not [c for c in cells if c.data_type == "f"]
    assert page(table).rows == [[evil, "@SUM(1+1)"], ["-2+3", "+44"]]  # nothing runs on a page


def test_one_table_gives_the_same_rows_to_a_csv_a_sheet_and_a_page():
    table = Table(
        "Breaches by borough",
        [Column("Borough"), Column("Rows", "count"), Column("Share", "percent"), Column("Cap", "rate")],
        [["Camden", 1200, Decimal("12.5"), Decimal("36.40")], ["Hackney", 3, None, Decimal("40")]],
        note="From accepted returns.",
        sheet="Breaches",
    )

    assert csv_rows(table) == [
        ["Borough", "Rows", "Share", "Cap"],
        ["Camden", "1200", "12.5", "36.40"],
        ["Hackney", "3", "", "40.00"],
    ]
    assert page(table).rows == [["Camden", "1,200", "12.5%", "£36.40"], ["Hackney", "3", "—", "£40.00"]]
    header, ws = sheet(table)
    assert [ws.cell(1, 1).value, ws.cell(2, 1).value] == ["Breaches by borough", "From accepted returns."]
    values = [[cell.value for cell in row] for row in ws.iter_rows(min_row=header)]
    assert values == [["Borough", "Rows", "Share", "Cap"], ["Camden", 1200, 0.125, 36.4], ["Hackney", 3, None, 40]]


def test_a_page_shows_the_first_rows_with_their_links_and_files_have_them_all():
    table = Table(
        "Agencies",
        [Column("Agency"), Column("Rows", "count")],
        [["First", 3], ["Second", 2], ["Third", 1]],
        links=["/first/", None, "/third/"],
        shown=2,
    )

    html = render_to_string("includes/table.html", {"table": table})
    assert page(table).rows == [["First", "3"], ["Second", "2"]]
    assert '<a class="govuk-link" href="/first/">First</a>' in html and "/third/" not in html
    assert table.cut
    assert len(csv_rows(table)) == 4
    header, ws = sheet(table)
    assert ws.max_row == header + 3


def test_a_table_with_no_rows_says_so_under_its_title():
    html = render_to_string("includes/table.html", {"table": Table("Breach register", [Column("Borough")], [])})
    assert "<table" not in html and "Breach register" in html and "Nothing to report." in html


def test_an_unknown_kind_is_refused_when_the_column_is_made():
    with pytest.raises(ValueError, match="pounds"):
        Column("Spend", "pounds")


def test_a_page_table_escapes_its_cells_and_marks_row_headers_and_numbers():
    table = Table(
        "Agencies",
        [Column("Agency"), Column("Rows", "count"), Column("Note")],
        [["<b>Bold</b> & Co", 1234, 'say "hi"'], ["Plain", None, ""]],
        links=["/a/?x=1&y=<2>", None],
    )

    html = render_to_string("includes/table.html", {"table": table})

    assert (
        '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
        '<a class="govuk-link" href="/a/?x=1&amp;y=&lt;2&gt;">&lt;b&gt;Bold&lt;/b&gt; &amp; Co</a></th>'
        '<td class="govuk-table__cell govuk-table__cell--numeric">1,234</td>'
        '<td class="govuk-table__cell">say &quot;hi&quot;</td></tr>'
    ) in html
    assert (
        '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">Plain</th>'
        '<td class="govuk-table__cell govuk-table__cell--numeric">—</td><td class="govuk-table__cell">—</td></tr>'
    ) in html
    assert "<b>" not in html
