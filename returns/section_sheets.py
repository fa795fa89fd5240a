"""The template's other sheets: "Workforce" (the aggregate section per role), "Spend" (the quarter's monthly
agency spend and project teams), "Queries" (the latest check's queries, with a column to explain each) and
"Leavers" (the permanent leavers the return reports, for the region's cool-off check: ``returns.leavers``).

With them a managed service provider can finish a return from the workbook alone. Each sheet is optional
on upload: a workbook without it (an older template, or a borough that fills the section in the browser)
leaves that part of the return as it is. Figures are checked by the browser form's own fields
(``forms.WorkforceForm``), and leavers by ``forms.LeaverForm`` and ``services.check_leaver``, so the workbook,
the page and the API accept and refuse the same values; a problem names its cell, like the Assignments
sheet's. The Leavers sheet, when present, is the return's whole list of leavers (as the API's PUT).
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pledge_portal.core.excel import DATE, MONEY, Sheet, SpreadsheetError, cell_text, merged_ranges, sheet_rows
from pledge_portal.core.problems import MAX_KEPT
from pledge_portal.core.text import quote, quoted_list
from rates.models import RoleCategory

from . import selectors
from .models import Finding, QueryExplanation, Return, WorkforceLine

WORKFORCE_SHEET = "Workforce"
SPEND_SHEET = "Spend"
QUERIES_SHEET = "Queries"
LEAVERS_SHEET = "Leavers"
MAX_COLUMNS = 16
MAX_ROWS = 2_000  # a sheet's most lines (headings, roles, figures, queries listed, leavers); more is refused unread
MAX_EXPLANATION = 5_000  # as the page's and the API's explanation

FIGURE_HEADERS = WorkforceLine.FIGURE_LABELS
WORKFORCE_HEADERS = ["Role", "Role name", *FIGURE_HEADERS.values()]
SPEND_FIELDS = {
    "agency_spend_month_1": "Agency spend in month 1 (£)",
    "agency_spend_month_2": "Agency spend in month 2 (£)",
    "agency_spend_month_3": "Agency spend in month 3 (£)",
    "project_teams": "Agency project teams",
}
SPEND_HEADERS = ["Figure", "Value", "Month"]
QUERY_HEADERS = ["Query key", "Rule", "Row", "Query", "Explanation"]
QUERIES_LISTED = MAX_ROWS - 1  # with its headings, a downloaded Queries sheet always uploads again
LEAVER_HEADERS = ["Registration number", "Leaving date", "Role", "Borough"]


@dataclass
class Sections:
    """What the optional sheets of an upload hold; ``None`` for a sheet the workbook does not have."""

    workforce: dict[int, dict] | None = None  # role id -> every figure of that role (blank is None)
    totals: dict | None = None  # the Spend sheet's figures present in it (blank is None)
    explanations: dict[str, str] | None = None  # query key -> text, blank explanations left out
    leavers: list[dict] | None = None  # every leaver of the sheet, as ``Leaver.INPUT_FIELDS`` values
    problems: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)  # the form's field name -> the cell it was read from

    @property
    def empty(self) -> bool:
        return self.workforce is None and self.totals is None and self.explanations is None and self.leavers is None


# Writing


def template_sheets(ret: Return) -> list[Sheet]:
    """The four sheets, filled with the return's figures, its latest check's queries and its leavers."""
    lines = list(ret.workforce.select_related("role"))
    return [_workforce_sheet(lines), _spend_sheet(ret), _queries_sheet(ret), _leavers_sheet(ret)]


def _workforce_sheet(lines: list[WorkforceLine]) -> Sheet:
    whole = DataValidation(
        type="whole", operator="between", formula1="0", formula2="1000000", allow_blank=True, showErrorMessage=True
    )
    whole.error = "Type a whole number, like 12."
    decimal = DataValidation(
        type="decimal", operator="between", formula1="0", formula2="99999", allow_blank=True, showErrorMessage=True
    )
    decimal.error = "Type a number, like 10.5."
    last = len(lines) + 1
    for index, name in enumerate(FIGURE_HEADERS, start=3):
        column = get_column_letter(index)
        (decimal if name.endswith("fte") else whole).add(f"{column}2:{column}{max(last, 2)}")
    return Sheet(
        title=WORKFORCE_SHEET,
        header=WORKFORCE_HEADERS,
        rows=[[line.role.code, line.role.name, *(getattr(line, name) for name in FIGURE_HEADERS)] for line in lines],
        widths=[26, 30, *[16] * len(FIGURE_HEADERS)],
        validations=[whole, decimal],
    )


def _month(ret: Return, number: int) -> str:
    start = ret.period.starts_on
    month = (start.month - 1 + number - 1) % 12 + 1
    year = start.year + (start.month - 1 + number - 1) // 12
    return f"{calendar.month_name[month]} {year}"


def _spend_sheet(ret: Return) -> Sheet:
    rows = [
        [label, getattr(ret, name), _month(ret, int(name[-1])) if name.startswith("agency_spend") else ""]
        for name, label in SPEND_FIELDS.items()
    ]
    money = DataValidation(
        type="decimal", operator="between", formula1="0", formula2="100000000", allow_blank=True, showErrorMessage=True
    )
    money.error = "Type an amount in pounds, like 125000.00."
    money.add("B2:B4")
    count = DataValidation(
        type="whole", operator="between", formula1="0", formula2="10000", allow_blank=True, showErrorMessage=True
    )
    count.error = "Type a whole number, like 2."
    count.add("B5")
    return Sheet(
        title=SPEND_SHEET,
        header=SPEND_HEADERS,
        rows=rows,
        column_formats={1: MONEY},
        widths=[36, 18, 18],
        validations=[money, count],
    )


def _queries_sheet(ret: Return) -> Sheet:
    run = selectors.latest_finished_run(ret)
    rows = []
    if run is not None:
        queries = run.findings.filter(severity=Finding.Severity.QUERY).order_by("position", "rule_code")
        explained = dict(QueryExplanation.objects.filter(ret=ret).values_list("key", "text"))
        rows = [
            [finding.key, finding.rule_code, finding.position, finding.message, explained.get(finding.key, "")]
            for finding in queries[:QUERIES_LISTED]
        ]
    return Sheet(title=QUERIES_SHEET, header=QUERY_HEADERS, rows=rows, widths=[30, 10, 8, 70, 70])


def _leavers_sheet(ret: Return) -> Sheet:
    from .services import MAX_LEAVERS

    boroughs = list(ret.unit.boroughs.all())
    leavers = selectors.leavers_of(ret)
    last = MAX_LEAVERS + 1
    role = DataValidation(
        type="list",
        formula1='"' + ",".join(RoleCategory.objects.values_list("code", flat=True)) + '"',
        allow_blank=True,
        showErrorMessage=True,
    )
    role.error = "Choose a core role from the list."
    role.add(f"C2:C{last}")
    when = DataValidation(type="date", operator="greaterThanOrEqual", formula1="1", allow_blank=True)
    when.error = "Type a date, like 27/03/2026."
    when.showErrorMessage = True
    when.add(f"B2:B{last}")
    validations = [role, when]
    if len(boroughs) > 1:  # names may hold commas, so the list is kept short and plain
        where = DataValidation(
            type="list", formula1='"' + ",".join(b.gss_code for b in boroughs) + '"', allow_blank=True
        )
        where.add(f"D2:D{last}")
        validations.append(where)
    return Sheet(
        title=LEAVERS_SHEET,
        header=LEAVER_HEADERS,
        rows=[
            [leaver.registration_number, leaver.leaving_date, leaver.role.code, leaver.borough.gss_code]
            for leaver in leavers
        ],
        column_formats={1: DATE},
        widths=[24, 16, 26, 14],
        validations=validations,
    )


def guidance_notes() -> list[str]:
    return [
        f"The {WORKFORCE_SHEET} sheet holds the aggregate section, a row per core role: permanent and agency staff "
        "(headcount and full-time equivalent), vacancies, and permanent starters and leavers in the quarter. Each "
        "role's row sets all of that role's figures (a blank cell is loaded as blank); a role you leave off keeps "
        "its figures. The figures start as last quarter's stocks, carried forward.",
        f"The {SPEND_SHEET} sheet holds the quarter's agency spend, month by month, and the number of agency "
        "project teams. A blank value is loaded as blank.",
        f"The {QUERIES_SHEET} sheet lists the queries of the return's latest check. Write your explanation of each "
        "in its Explanation column; keep the Query key as it is. A blank explanation leaves the query as it was. "
        "Queries the return no longer has once the rows are loaded are listed after the upload, not kept.",
        f"The {LEAVERS_SHEET} sheet lists the permanent children's social workers who left in the quarter: their "
        "registration number, their last day, the core role they left and (in a joint return) the borough's GSS "
        "code. It is the return's whole list: a leaver you remove from the sheet is removed from the return. "
        "Leavers are not carried forward to the next quarter. The region's cool-off check reads them; the borough "
        "that hires one of them as an agency worker within the cool-off is told the date, not your borough.",
        f"You may delete the {WORKFORCE_SHEET}, {SPEND_SHEET}, {QUERIES_SHEET} or {LEAVERS_SHEET} sheet: the upload "
        "then leaves that part of the return as it is.",
    ]


# Reading


def read_sections(ret: Return, workbook) -> Sections:
    """The optional sheets of an uploaded workbook, each checked as the page's form checks it. Problems are
    collected in ``Sections.problems`` (each naming its cell), never raised, so the caller lists them with
    the Assignments sheet's."""
    sections = Sections()
    sheets = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
    readers = (
        (WORKFORCE_SHEET, _read_workforce),
        (SPEND_SHEET, _read_spend),
        (QUERIES_SHEET, _read_queries),
        (LEAVERS_SHEET, _read_leavers),
    )
    for title, reader in readers:
        ws = sheets.get(title.lower())
        if ws is None:
            continue
        merged = merged_ranges(ws)
        if merged:
            sections.problems.append(
                f"Cells {quoted_list(merged)} on the {title} sheet are merged. Unmerge them so that each cell "
                "holds one value."
            )
            continue
        try:
            reader(ret, _rows(ws, title), sections)
        except SpreadsheetError as exc:
            sections.problems.append(exc.message)
    if sections.workforce is not None or sections.totals is not None:
        _check_figures(ret, sections)
    del sections.problems[MAX_KEPT:]  # each sheet is at most MAX_ROWS rows, so this bounds a file wrong everywhere
    return sections


def _rows(ws, title: str):
    """``(number, [value, ...])`` for each non-blank row after the header; a formula is a problem."""
    for number, cells in sheet_rows(ws, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS):
        values = []
        for index, cell in enumerate(cells):
            value = cell.value
            if getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("=")):
                raise SpreadsheetError(
                    f"{title}!{get_column_letter(index + 1)}{number} holds a formula. Type the value itself."
                )
            values.append(value)
        yield number, values


def _header(rows, title: str, expected: list[str], required: list[str], sections: Sections) -> dict[str, int] | None:
    number, cells = next(rows, (1, []))
    found = {_key(cell_text(value)): index for index, value in enumerate(cells) if cell_text(value)}
    missing = [name for name in required if _key(name) not in found]
    if missing:
        sections.problems.append(
            f"The {title} sheet is missing the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(f'“{m}”' for m in missing)}. Row 1 must have the headings of the downloaded template: "
            f"{', '.join(expected)}."
        )
        return None
    return {name: found[_key(name)] for name in expected if _key(name) in found}


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _cell(values: list, index: int):
    return values[index] if index < len(values) else None


def _raw(value) -> str:
    """A figure's value as the form's field reads it: a whole float without its ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, date):
        return value.isoformat()  # not a figure: the form's field says so
    return cell_text(value)


def _read_workforce(ret: Return, rows, sections: Sections) -> None:
    columns = _header(rows, WORKFORCE_SHEET, WORKFORCE_HEADERS, ["Role"], sections)
    if columns is None:
        return
    lines = {line.role: line for line in ret.workforce.select_related("role")}
    roles = {_key(role.code): role for role in lines} | {_key(role.name): role for role in lines}
    workforce: dict[int, dict] = {}
    seen: dict[int, int] = {}
    cells: dict[str, str] = {}
    for number, values in rows:
        role_text = cell_text(_cell(values, columns["Role"]))
        figures = {name: _cell(values, columns[header]) for name, header in FIGURE_HEADERS.items() if header in columns}
        if not role_text and all(cell_text(v) == "" for v in figures.values()):
            continue
        ref = f"{WORKFORCE_SHEET}!{get_column_letter(columns['Role'] + 1)}{number}"
        role = roles.get(_key(role_text))
        if role is None:
            known = ", ".join(role.code for role in lines)
            sections.problems.append(
                f"{ref}: ‘{quote(role_text)}’ is not a core role of this return. Choose one of: {known}."
                if role_text
                else f"{ref}: say which role the figures on row {number} are for."
            )
            continue
        if role.pk in seen:
            sections.problems.append(f"{ref}: {role.code} is also on row {seen[role.pk]}. Give each role one row.")
            continue
        seen[role.pk] = number
        # A figure whose column was deleted keeps its value; every other cell of the row sets its figure.
        kept = {name: _raw(getattr(lines[role], name)) for name in FIGURE_HEADERS if name not in figures}
        workforce[role.pk] = {name: _raw(value) for name, value in figures.items()} | kept
        for name, header in FIGURE_HEADERS.items():
            if header in columns:
                cells[f"{role.pk}-{name}"] = f"{WORKFORCE_SHEET}!{get_column_letter(columns[header] + 1)}{number}"
    sections.workforce = workforce
    sections.cells |= cells


def _read_spend(ret: Return, rows, sections: Sections) -> None:
    columns = _header(rows, SPEND_SHEET, SPEND_HEADERS, ["Figure", "Value"], sections)
    if columns is None:
        return
    labels = {_key(label): name for name, label in SPEND_FIELDS.items()} | {_key(n): n for n in SPEND_FIELDS}
    totals: dict[str, str] = {}
    seen: dict[str, int] = {}
    cells: dict[str, str] = {}
    for number, values in rows:
        label = cell_text(_cell(values, columns["Figure"]))
        value = _cell(values, columns["Value"])
        if not label and cell_text(value) == "":
            continue
        ref = f"{SPEND_SHEET}!A{number}"
        name = labels.get(_key(label))
        if name is None:
            sections.problems.append(
                f"{ref}: ‘{quote(label)}’ is not a figure of the Spend sheet. Keep the template's labels: "
                f"{', '.join(SPEND_FIELDS.values())}."
            )
            continue
        if name in seen:
            sections.problems.append(f"{ref}: {SPEND_FIELDS[name]} is also on row {seen[name]}. Keep one.")
            continue
        seen[name] = number
        totals[name] = _raw(value)
        cells[name] = f"{SPEND_SHEET}!{get_column_letter(columns['Value'] + 1)}{number}"
    sections.totals = totals
    sections.cells |= cells


def _read_queries(ret: Return, rows, sections: Sections) -> None:
    columns = _header(rows, QUERIES_SHEET, QUERY_HEADERS, ["Query key", "Explanation"], sections)
    if columns is None:
        return
    explanations: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number, values in rows:
        key = cell_text(_cell(values, columns["Query key"]))
        text = cell_text(_cell(values, columns["Explanation"]))
        if not text:
            continue  # a blank explanation leaves the query as it was
        column = get_column_letter(columns["Explanation"] + 1)
        if not key:
            sections.problems.append(
                f"{QUERIES_SHEET}!A{number}: the explanation in {column}{number} has no query key. Keep the key "
                "of the query it explains, as the template gave it."
            )
        elif key in seen:
            sections.problems.append(f"{QUERIES_SHEET}!A{number}: this query is also on row {seen[key]}. Keep one.")
        elif len(text) > MAX_EXPLANATION:
            sections.problems.append(
                f"{QUERIES_SHEET}!{column}{number}: the explanation has {len(text):,} characters. Shorten it to "
                f"{MAX_EXPLANATION:,} at most."
            )
        else:
            seen[key] = number
            explanations[key[:200]] = text
    sections.explanations = explanations


def _check_figures(ret: Return, sections: Sections) -> None:
    """Check the figures read with the page's form, and turn them into the values the service saves."""
    from .forms import WorkforceForm  # forms import services, which import this module's callers

    data = {"revision": ret.revision}
    for role_id, figures in (sections.workforce or {}).items():
        data |= {f"{role_id}-{name}": value for name, value in figures.items()}
    data |= sections.totals or {}
    form = WorkforceForm(data, ret=ret)
    if not form.is_valid():
        for name, errors in form.errors.items():
            where = sections.cells.get(name, WORKFORCE_SHEET if name[:1].isdigit() else SPEND_SHEET)
            sections.problems += [f"{where}: {error}" for error in errors]
        return
    if sections.workforce is not None:
        sections.workforce = {
            role_id: {name: form.cleaned_data.get(f"{role_id}-{name}") for name in WorkforceLine.FIGURES}
            for role_id in sections.workforce
        }
    if sections.totals is not None:
        sections.totals = {name: form.cleaned_data.get(name) for name in sections.totals}


def _read_leavers(ret: Return, rows, sections: Sections) -> None:
    """Each line checked by the page's form's fields (``forms.LeaverForm``) and the service's rules
    (``services.check_leaver``), a problem naming the line's cell. A fixed number of queries, whatever the
    number of lines."""
    from .forms import LeaverForm  # forms import services, which import this module's callers
    from .services import MAX_LEAVERS, ReturnError, check_leaver

    columns = _header(rows, LEAVERS_SHEET, LEAVER_HEADERS, LEAVER_HEADERS[:3], sections)
    if columns is None:
        return
    boroughs = list(ret.unit.boroughs.all())
    by_borough = {_key(b.gss_code): b for b in boroughs} | {_key(b.name): b for b in boroughs}
    roles = {_key(r.code): r for r in RoleCategory.objects.all()}
    roles |= {_key(r.name): r for r in roles.values()}
    leavers: list[dict] = []
    seen: dict[str, int] = {}
    for number, values in rows:
        cells = {header: _cell(values, index) for header, index in columns.items()}
        if all(cell_text(v) == "" for v in cells.values()):
            continue
        if len(leavers) >= MAX_LEAVERS:
            sections.problems.append(
                f"{LEAVERS_SHEET}!A{number}: a return reports at most {MAX_LEAVERS:,} leavers. Remove the extra lines."
            )
            break
        ref = f"{LEAVERS_SHEET}!A{number}"
        role_text, borough_text = cell_text(cells["Role"]), cell_text(cells.get("Borough"))
        role = roles.get(_key(role_text))
        if role is None:
            sections.problems.append(
                f"{LEAVERS_SHEET}!C{number}: ‘{quote(role_text)}’ is not a core role. Choose one from the list."
                if role_text
                else f"{LEAVERS_SHEET}!C{number}: choose the core role they left."
            )
            continue
        borough = by_borough.get(_key(borough_text)) if borough_text else None
        if borough_text and borough is None:
            sections.problems.append(
                f"{LEAVERS_SHEET}!D{number}: ‘{quote(borough_text)}’ is not a borough of this return. Use one of "
                f"{', '.join(b.gss_code for b in boroughs)}."
            )
            continue
        when = cells["Leaving date"]
        if isinstance(when, datetime):  # a date cell reads as a datetime at midnight
            when = when.date()
        typed = {
            "registration_number": cell_text(cells["Registration number"]),
            "leaving_date": when.isoformat() if isinstance(when, date) else cell_text(when),
        }
        values, wrong = {"role": role, "borough": borough}, False
        for name, raw in typed.items():  # the page's own fields (no query): the same values pass and fail
            try:
                values[name] = LeaverForm.base_fields[name].clean(raw)
            except ValidationError as exc:
                sections.problems += [f"{LEAVERS_SHEET}!{_LEAVER_COLUMNS[name]}{number}: {m}" for m in exc.messages]
                wrong = True
        if wrong:
            continue
        try:
            leaver = check_leaver(ret, values, boroughs)
        except ReturnError as exc:
            sections.problems.append(f"{ref}: {exc}")
            continue
        worker = leaver["registration_number"]
        if worker in seen:
            sections.problems.append(f"{ref}: {worker} is also on row {seen[worker]}. Report each leaver once.")
            continue
        seen[worker] = number
        leavers.append(leaver)
    sections.leavers = leavers


_LEAVER_COLUMNS = {"registration_number": "A", "leaving_date": "B"}
