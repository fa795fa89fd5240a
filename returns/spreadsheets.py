"""A return's assignment rows as an Excel workbook: the template a borough downloads (its rows filled in,
drop-down lists for coded fields, guidance on every column) and the upload that loads a completed one.

The template's "Assignments" sheet is also the upload's layout, so a downloaded template uploads to the
same rows it came from. An upload is all or nothing: if any cell cannot be read, nothing is loaded and
every problem is listed by its cell ("Assignments!F12: ..."). Values that can be read but break a rule (a
rate over the cap, too little PQE, a missing value) are loaded, and the check of the return reports them.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import zip_longest

from django.utils import timezone
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from agencies.models import Agency
from boroughs.models import Borough
from pledge_portal.core import collector
from pledge_portal.core.excel import (
    DATE,
    MONEY,
    Sheet,
    SpreadsheetError,
    cell_text,
    merged_ranges,
    read_workbook_safely,
    sheet_rows,
    write_workbook,
)
from pledge_portal.core.identity import RegistrationNumberError, parse_registration_number
from pledge_portal.core.lookups import chunk_size
from pledge_portal.core.problems import MAX_KEPT
from pledge_portal.core.text import quote, quoted_list
from rates.models import BreachSignOff, EngagementType, LocalRole, RoleCategory
from rates.money import MoneyError, parse_money

from . import section_sheets, services
from .models import Assignment, Return

SHEET = "Assignments"
LISTS_SHEET = "Lists"
AGENCIES_LISTED = 2000  # the register offered in a template's Agency column (bounded, like every list)
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = services.MAX_LOADED_ROWS
# Columns read from each row: the template's, and room for columns of the borough's own, which are ignored.
MAX_COLUMNS = 40
DATE_EXAMPLE = "27/03/2026"


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    what: str  # the Guidance sheet's "What to enter"
    accepted: str  # the Guidance sheet's "Accepted values"
    width: float
    number_format: str | None = None


# One column per ``Assignment.INPUT_FIELDS``, in that order.
COLUMNS = (
    Column("borough", "Borough", "The borough of this return the assignment is with.", "A name from the list.", 24),
    Column(
        "registration_number",
        "Registration number",
        "The worker's Social Work England registration number.",
        "SW followed by digits, like SW123456.",
        20,
    ),
    Column(
        "role",
        "Role",
        "The DfE core role, or one of the region's local roles (reported under its core role).",
        "A role code from the list, like social-worker.",
        26,
    ),
    Column(
        "local_role",
        "Local role",
        "The region's finer role, if the rate card has one for this post. Leave blank otherwise.",
        "A local role code from the list, or blank.",
        26,
    ),
    Column("agency_name", "Agency", "The agency that supplies the worker.", "The agency's name.", 30),
    Column(
        "engagement_type",
        "Engagement type",
        "How the worker is engaged; it decides which cap applies.",
        "paye, umbrella or limited-company.",
        18,
    ),
    Column("start_date", "Start date", "The first day of the assignment.", f"A date, like {DATE_EXAMPLE}.", 14, DATE),
    Column(
        "end_date",
        "End date",
        "The last day of the assignment, once it has ended. Leave blank while it continues.",
        f"A date, like {DATE_EXAMPLE}, or blank.",
        14,
        DATE,
    ),
    Column(
        "hourly_pay_rate",
        "Hourly pay rate (£)",
        "What the worker is paid an hour; this is checked against the cap.",
        "Pounds and pence, like 38.50.",
        18,
        MONEY,
    ),
    Column(
        "hourly_charge_rate",
        "Hourly charge rate (£)",
        "What the agency charges the borough an hour.",
        "Pounds and pence, like 45.20.",
        20,
        MONEY,
    ),
    Column("project_team", "Project team", "Whether the worker is part of an agency project team.", "Yes or No.", 14),
    Column(
        "pqe_years",
        "PQE (years)",
        "Post-qualifying experience, in years.",
        "A number of years with at most one decimal place, like 3.5.",
        12,
        "0.0",
    ),
    Column(
        "previous_employer",
        "Previous permanent employer",
        "The borough the worker last held a permanent post with, where known; used for the cool-off check.",
        "A borough name from the list, or blank.",
        28,
    ),
    Column(
        "left_previous_on",
        "Left previous post on",
        "The day the worker left that permanent post, where known.",
        f"A date, like {DATE_EXAMPLE}, or blank.",
        20,
        DATE,
    ),
    Column(
        "reference_received",
        "References received",
        "Whether the practice-based references were received before the start.",
        "Yes, No, or blank if not known.",
        20,
    ),
    Column(
        "notice_period_weeks",
        "Notice period (weeks)",
        "The notice period in the worker's contract.",
        "A whole number of weeks, like 4.",
        20,
        "0",
    ),
    Column(
        "breach_sign_off",
        "Cap breach signed off",
        "Filled in by the portal: Yes when an approver has signed off this row's rate above the cap. Sign-offs "
        "are recorded in the portal, not here. A row keeps its sign-off while its registration number, role, "
        "engagement type, start date and pay rate still match it.",
        "Ignored on upload.",
        20,
    ),
)
HEADERS = [column.header for column in COLUMNS]
# Every column must be there except the portal's own note of sign-offs, which an upload ignores.
REQUIRED = [column for column in COLUMNS if column.field != "breach_sign_off"]


class UploadRejected(Exception):
    """An upload that loaded nothing. ``problems`` lists every problem found, each naming its cell
    (``Assignments!F12``) or the part of the workbook at fault, and saying what to change."""

    def __init__(self, problems: list[str], *, more: int = 0):
        super().__init__("; ".join(problems[:5]))
        self.problems = problems
        self.more = more  # problems found beyond ``problems.MAX_KEPT``: counted, not listed


# Template


def template_workbook(ret: Return) -> bytes:
    """The workbook for ``ret``: its rows on the "Assignments" sheet with drop-down lists for coded fields,
    then "Guidance" and "About" sheets. The caller checks that the user may see the return."""
    region = ret.unit.region
    boroughs = list(ret.unit.boroughs.all())
    local_roles = list(LocalRole.objects.filter(region=region))
    lists = {
        "role": [r.code for r in RoleCategory.objects.all()] + [r.code for r in local_roles],
        "local_role": [r.code for r in local_roles],
        "borough": [b.name for b in boroughs],
        "previous_employer": list(Borough.objects.filter(region=region).values_list("name", flat=True)),
        "engagement_type": list(EngagementType.values),
        "yes_no": ["Yes", "No"],
        # The agency register, offered in the Agency column (other names may still be typed: a query asks).
        "agency": list(Agency.objects.order_by("name").values_list("name", flat=True)[:AGENCIES_LISTED]),
    }
    rows = (
        ret.assignments.select_related("borough", "role", "local_role", "previous_employer")
        .order_by("position")
        .iterator(chunk_size=2000)
    )
    assignments = Sheet(
        title=SHEET,
        header=HEADERS,
        rows=(_template_row(row) for row in rows),
        column_formats={i: c.number_format for i, c in enumerate(COLUMNS) if c.number_format},
        widths=[c.width for c in COLUMNS],
        validations=_validations(lists),
    )
    guidance = Sheet(
        title="Guidance",
        notes=_guidance_notes(),
        header=["Column", "What to enter", "Accepted values"],
        rows=[(c.header, c.what, c.accepted) for c in COLUMNS],
        widths=[28, 90, 50],
    )
    about = Sheet(title="About", notes=_about(ret, boroughs), widths=[24, 80])
    names = list(lists)
    list_sheet = Sheet(
        title=LISTS_SHEET,
        header=[name.replace("_", " ").capitalize() for name in names],
        rows=zip_longest(*lists.values()),
        hidden=True,
    )
    return write_workbook([assignments, *section_sheets.template_sheets(ret), guidance, about, list_sheet])


def _template_row(row: Assignment) -> list:
    def yes_no(value):
        return None if value is None else ("Yes" if value else "No")

    return [
        row.borough.name,
        row.registration_number,
        row.role.code if row.role_id else None,
        row.local_role.code if row.local_role_id else None,
        row.agency_name,
        row.engagement_type,
        row.start_date,
        row.end_date,
        row.hourly_pay_rate,
        row.hourly_charge_rate,
        yes_no(row.project_team),
        row.pqe_years,
        row.previous_employer.name if row.previous_employer_id else None,
        row.left_previous_on,
        yes_no(row.reference_received),
        row.notice_period_weeks,
        "Yes" if row.breach_sign_off_id else None,
    ]


def _validations(lists: dict[str, list[str]]) -> list[DataValidation]:
    """Drop-down lists (kept on the hidden Lists sheet, so long lists and names with commas work) and checks
    that stop text being typed into date and number cells."""
    letters = {c.field: get_column_letter(i + 1) for i, c in enumerate(COLUMNS)}
    list_columns = {name: get_column_letter(i + 1) for i, name in enumerate(lists)}
    dropdowns = {
        "borough": "borough",
        "role": "role",
        "local_role": "local_role",
        "engagement_type": "engagement_type",
        "previous_employer": "previous_employer",
        "project_team": "yes_no",
        "reference_received": "yes_no",
    }
    validations = []

    def add(field: str, error: str, **kwargs) -> None:
        validation = DataValidation(allow_blank=True, showErrorMessage=True, error=error, **kwargs)
        validation.add(f"{letters[field]}2:{letters[field]}{MAX_ROWS + 1}")
        validations.append(validation)

    for field, list_name in dropdowns.items():
        if lists[list_name]:
            col = list_columns[list_name]
            add(
                field,
                "Choose a value from the list.",
                type="list",
                formula1=f"{LISTS_SHEET}!${col}$2:${col}${len(lists[list_name]) + 1}",
            )
    if lists.get("agency"):
        col = list_columns["agency"]
        register = DataValidation(
            type="list",
            formula1=f"{LISTS_SHEET}!${col}$2:${col}${len(lists['agency']) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="information",  # a name not on the register may be typed; the check then asks about it
            error="This agency is not on the register. Check the spelling; keep it if it is right.",
        )
        register.add(f"{letters['agency_name']}2:{letters['agency_name']}{MAX_ROWS + 1}")
        validations.append(register)
    for field in ("start_date", "end_date", "left_previous_on"):
        add(field, f"Type a date, like {DATE_EXAMPLE}.", type="date", operator="greaterThanOrEqual", formula1="1")
    for field in ("hourly_pay_rate", "hourly_charge_rate"):
        add(
            field,
            "Type an hourly amount in pounds, like 38.50.",
            type="decimal",
            operator="between",
            formula1="0.01",
            formula2="500",
        )
    add(
        "pqe_years",
        "Type a number of years, like 3.5.",
        type="decimal",
        operator="between",
        formula1="0",
        formula2="99.9",
    )
    add(
        "notice_period_weeks",
        "Type a whole number of weeks, like 4.",
        type="whole",
        operator="between",
        formula1="0",
        formula2="52",
    )
    return validations


def _guidance_notes() -> list:
    return [
        "How to fill in this workbook",
        "Put one row on the Assignments sheet for each agency assignment active in the quarter. Keep the headings "
        "in row 1 as they are. You may add rows, and columns of your own: the upload ignores columns it does not "
        "know.",
        "Type values, not formulas, and do not merge cells: a workbook with a formula or merged cells on the "
        "Assignments sheet is not loaded.",
        "Cells you leave blank are loaded as blank. The check of the return lists anything missing, so you can "
        "upload a half-finished workbook and finish it later.",
        "When you upload, choose what the upload does:",
        "Merge: rows with the same registration number and start date as a row already in the return update that "
        "row; the other rows are added; rows of the return that are not in the workbook stay as they are.",
        "Replace: the return's rows become exactly the rows in the workbook; rows not in the workbook are removed.",
        "If any cell cannot be read, nothing is loaded and every problem is listed by its cell (for example "
        "Assignments!G12), so you can correct them all and upload the workbook again.",
        f"The file must be an Excel workbook (.xlsx) smaller than {MAX_BYTES // (1024 * 1024)} MB, with at most "
        f"{MAX_ROWS:,} rows. Columns after {get_column_letter(MAX_COLUMNS)} are not read.",
        *section_sheets.guidance_notes(),
    ]


def _about(ret: Return, boroughs: list[Borough]) -> list:
    return [
        ("Reporting unit", ret.unit.name),
        ("Boroughs", ", ".join(b.name for b in boroughs)),
        ("Region", ret.unit.region.name),
        ("Period", ret.period.label),
        ("Deadline", ret.period.deadline),
        ("Status", ret.get_status_display()),
        ("Revision", ret.revision),
        ("Rows", ret.assignments.count()),
        ("Downloaded", timezone.now()),
        "",
        "Fill in the Assignments sheet (and the Workforce, Spend, Queries and Leavers sheets, or leave them to the "
        "return's pages), then upload this workbook on the return's Upload page. The Guidance sheet explains each "
        "column.",
    ]


# Upload


def import_upload(*, ret: Return, by, uploaded_file, mode: str, expected_revision: int) -> dict:
    """Load a completed template into the draft: its rows, ``mode`` "merge" or "replace" (see
    ``services.load_assignments``), and the Workforce, Spend, Queries and Leavers sheets it has (see
    ``section_sheets``). Raises ``UploadRejected`` listing every problem, or ``ReturnError`` when the return
    cannot change; either way the draft is as it was. Returns counts of rows added, updated and removed, and
    of explanations kept and not kept. The service checks that ``by`` may change the return."""
    rows, sections = read_upload(ret, uploaded_file)
    return services.load_workbook(
        ret=ret,
        by=by,
        expected_revision=expected_revision,
        rows=rows,
        mode=mode,
        workforce=sections.workforce,
        totals=sections.totals,
        explanations=sections.explanations,
        leavers=sections.leavers,
    )


def loaded_message(counts: dict) -> str:
    """What an upload changed, in a sentence for the user."""
    parts = [f"{counts['added']} rows added, {counts['updated']} updated, {counts['removed']} removed"]
    if counts.get("sections"):
        parts.append("the workforce and spend figures set")
    if counts.get("explained"):
        parts.append(f"{counts['explained']} quer{'y' if counts['explained'] == 1 else 'ies'} explained")
    if counts.get("leavers") is not None:
        parts.append(f"{counts['leavers']} leaver{'' if counts['leavers'] == 1 else 's'} reported")
    message = f"Workbook loaded: {', '.join(parts)}."
    if counts.get("not_explained"):
        n = counts["not_explained"]
        message += (
            f" {n} explanation{'s were' if n > 1 else ' was'} not kept: the latest check has no such query. "
            "Check the return and explain its queries on the Findings page."
        )
    return message + " Check the return before submitting."


def read_rows(ret: Return, uploaded_file) -> list[dict]:
    """The rows of an uploaded template's "Assignments" sheet, as ``Assignment.INPUT_FIELDS`` values ready for
    ``services.load_assignments`` (see ``read_upload``). Writes nothing."""
    rows, _sections = read_upload(ret, uploaded_file, sections=False)
    return rows


@collector.paused()
def read_upload(ret: Return, uploaded_file, *, sections: bool = True) -> tuple[list[dict], section_sheets.Sections]:
    """An uploaded template's rows and its other sheets (``section_sheets.Sections``). Writes nothing.

    Raises ``UploadRejected`` listing every problem: a file that is not a safe, modest .xlsx, a missing sheet
    or column, formulas, merged cells, values that cannot be read (text in a date or number cell, a
    registration number that is not SW and digits, a role or borough that is not on the lists), the same
    assignment on two rows, and figures the return's page would refuse."""
    try:
        workbook = read_workbook_safely(uploaded_file, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except SpreadsheetError as exc:
        raise UploadRejected([exc.message]) from exc
    try:
        read = section_sheets.read_sections(ret, workbook) if sections else section_sheets.Sections()
        try:
            rows = _AssignmentsReader(ret, workbook).read()
        except UploadRejected as exc:
            raise UploadRejected(exc.problems + read.problems, more=exc.more) from exc
        if read.problems:
            raise UploadRejected(read.problems)
        return rows, read
    finally:
        workbook.close()


class _Unreadable(ValueError):
    """A cell's value that cannot be read; the message says what to type instead."""


_UNREAD = object()


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def _key(text: str) -> str:
    return " ".join(text.lower().split())


class _AssignmentsReader:
    def __init__(self, ret: Return, workbook):
        self.ret = ret
        self.workbook = workbook
        self.problems: list[str] = []
        self.more = 0
        self.columns: dict[str, int] = {}
        region = ret.unit.region
        self.boroughs = list(ret.unit.boroughs.all())
        self.unit_boroughs = self._names(self.boroughs)
        self.region_boroughs = self._names(Borough.objects.filter(region=region))
        self.region_name = region.name
        core = list(RoleCategory.objects.all())
        local = list(LocalRole.objects.filter(region=region).select_related("core"))
        self.local_roles = {_key(r.code): r for r in local} | {_key(r.name): r for r in local}
        self.core_roles = {_key(r.name): r for r in core} | {_key(r.code): r for r in core}
        self.engagements = {_key(label): value for value, label in EngagementType.choices} | {
            _key(value): value for value in EngagementType.values
        }
        self.readers = {
            "borough": self._borough,
            "registration_number": self._registration_number,
            "role": self._role,
            "local_role": self._local_role,
            "agency_name": self._agency,
            "engagement_type": self._engagement,
            "start_date": self._date,
            "end_date": self._date,
            "hourly_pay_rate": lambda v: self._money(v, "the hourly pay rate"),
            "hourly_charge_rate": lambda v: self._money(v, "the hourly charge rate"),
            "project_team": lambda v: bool(self._yes_no(v, blank_ok=False)),
            "pqe_years": self._years,
            "previous_employer": self._previous_employer,
            "left_previous_on": self._date,
            "reference_received": lambda v: self._yes_no(v, blank_ok=True),
            "notice_period_weeks": self._weeks,
        }
        self.read_before: dict[str, dict] = {field: {} for field in self.readers}

    @staticmethod
    def _names(boroughs) -> dict[str, Borough]:
        names = {}
        for borough in boroughs:
            names[_key(borough.short_name)] = borough
            names[_key(borough.name)] = borough
        return names

    def read(self) -> list[dict]:
        ws = next((ws for ws in self.workbook.worksheets if ws.title.strip().lower() == SHEET.lower()), None)
        if ws is None:
            raise UploadRejected(
                [
                    f"The workbook has no sheet called “{SHEET}”. Put the rows on a sheet named {SHEET}, laid out "
                    "like the downloaded template, and upload it again."
                ]
            )
        self.problems += [
            f"Cells {ref} on the {SHEET} sheet are merged. Unmerge them so that each cell holds one value."
            for ref in merged_ranges(ws)
        ]
        rows = sheet_rows(ws, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
        try:
            self._read_header(next(rows, (1, ()))[1])
            if not self.columns:
                raise UploadRejected(self.problems)
            read = self._read_rows(rows)
        except SpreadsheetError as exc:
            raise UploadRejected([exc.message]) from exc
        self._refuse_repeats(read)
        if self.problems:
            raise UploadRejected(self.problems, more=self.more)
        rows = [values for _number, values in read]
        self._link_sign_offs(rows)
        return rows

    def _read_rows(self, rows) -> list[tuple[int, dict]]:
        """Every row's values, read a column at a time: each distinct value of a column is read once, and a
        row that holds no formula, no value that cannot be read and no local role (whose core role must be
        worked out) is made from its column's answers without a step per cell. Other rows are read one by
        one (``_read_row``), so their problems come in the order of their columns."""
        rows = list(rows)  # at most MAX_ROWS: sheet_rows refuses more before reading any
        fields = list(self.readers)
        answers, unreadable = [], set()
        for field in fields:
            column = self.columns[field]
            values = [cells[column].value if column < len(cells) else None for _number, cells in rows]
            found = self._read_column(field, values)
            answers.append(found)
            if any(isinstance(answer, _Unreadable) for answer in self.read_before[field].values()):
                unreadable.update(k for k, answer in enumerate(found) if isinstance(answer, _Unreadable))
        roles, locals_ = answers[fields.index("role")], answers[fields.index("local_role")]
        one_by_one = unreadable | {
            k
            for k, (role, local) in enumerate(zip(roles, locals_, strict=True))
            if local is not None or type(role) is LocalRole
        }
        one_by_one.update(
            k
            for k, (_number, cells) in enumerate(rows)
            for cell in cells
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] == "=")
        )
        mapped = list(self.columns.values())
        blank = [
            all(
                value is None or (type(value) is str and not value.strip())
                for value in (cells[i].value if i < len(cells) else None for i in mapped)
            )
            for _number, cells in rows
        ]
        empty = dict.fromkeys(Assignment.INPUT_FIELDS)
        read = []
        for k, ((number, cells), row_answers) in enumerate(zip(rows, zip(*answers, strict=True), strict=True)):
            if k in one_by_one:
                values = self._read_row(number, cells)
            elif blank[k]:
                continue
            else:
                values = empty.copy()
                values.update(zip(fields, row_answers, strict=True))
            if values is not None:
                read.append((number, values))
            if len(self.problems) > MAX_KEPT:  # a file wrong in every cell: count the rest, keep memory flat
                self.more += len(self.problems) - MAX_KEPT
                del self.problems[MAX_KEPT:]
        return read

    def _read_column(self, field: str, values: list) -> list:
        """Each value's reading (or the ``_Unreadable`` it raised), each distinct value read once per upload."""
        known, reader = self.read_before[field], self.readers[field]
        found = []
        for value in values:
            key = (type(value), value)
            answer = known.get(key, _UNREAD)
            if answer is _UNREAD:
                try:
                    answer = reader(value)
                except _Unreadable as exc:
                    answer = exc
                known[key] = answer
            found.append(answer)
        return found

    def _read_header(self, cells) -> None:
        problems_before = len(self.problems)
        found: dict[str, int] = {}
        for index, cell in enumerate(cells):
            title = _key(cell_text(cell.value))
            if title in found:
                self.problems.append(
                    f"{SHEET}!{get_column_letter(index + 1)}1: the heading “{quote(cell_text(cell.value))}” is also in "
                    f"column {get_column_letter(found[title] + 1)}. Keep one column of each."
                )
            elif title:
                found[title] = index
        known = {_key(c.header): c for c in COLUMNS} | {_key(c.field): c for c in COLUMNS}
        columns = {known[title].field: index for title, index in found.items() if title in known}
        missing = [c.header for c in REQUIRED if c.field not in columns]
        if missing:
            s = "s" if len(missing) > 1 else ""
            unknown = [title for title in found if title not in known]
            self.problems.append(
                f"The {SHEET} sheet is missing the column{s} {', '.join(f'“{m}”' for m in missing)}. Row 1 must "
                f"have the headings of the downloaded template: {', '.join(HEADERS)}."
                + (f" Headings not recognised: {quoted_list(unknown)}." if unknown else "")
            )
        elif len(self.problems) == problems_before:
            self.columns = columns

    def _read_row(self, number: int, cells) -> dict | None:
        """One row's values, or None for a blank row. Its problems are listed in the order of its columns."""
        problems: list[tuple[int, str]] = [
            (i, f"{SHEET}!{get_column_letter(i + 1)}{number} holds a formula. Type the value itself.")
            for i, cell in enumerate(cells)
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value[:1] == "=")
        ]
        formulas = {i for i, _problem in problems}
        raw = {
            field: cells[i].value if i < len(cells) and i not in formulas else None for field, i in self.columns.items()
        }
        if not problems and all(cell_text(value) == "" for value in raw.values()):
            return None
        values = dict.fromkeys(Assignment.INPUT_FIELDS)
        for field in self.readers:
            if self.columns[field] in formulas:
                continue
            (answer,) = self._read_column(field, [raw[field]])
            if isinstance(answer, _Unreadable):
                problems.append((self.columns[field], f"{self._ref(field, number)}: {answer}"))
            else:
                values[field] = answer
        problems += self._resolve_roles(number, values)
        self.problems += [problem for _column, problem in sorted(problems, key=lambda p: p[0])]
        return values

    def _ref(self, field: str, number: int) -> str:
        return f"{SHEET}!{get_column_letter(self.columns[field] + 1)}{number}"

    def _resolve_roles(self, number: int, values: dict) -> list[tuple[int, str]]:
        """The role column may hold a core or a local role; a local role brings its core role with it."""
        role, local = values["role"], values["local_role"]
        problems = []
        if isinstance(role, LocalRole):
            if local is not None and local != role:
                problems.append(
                    (
                        self.columns["role"],
                        f"{self._ref('role', number)}: ‘{role.code}’ is a local role, but the Local role column says "
                        f"‘{local.code}’. Put the core role ({local.core.code}) here, or make the two match.",
                    )
                )
            local, role = role, role.core
        if local is not None:
            if role is None:
                role = local.core
            elif role != local.core:
                problems.append(
                    (
                        self.columns["local_role"],
                        f"{self._ref('local_role', number)}: ‘{local.code}’ is a kind of {local.core.name} "
                        f"({local.core.code}), but the role is {role.code}. Choose the role {local.core.code}, or "
                        "another local role.",
                    )
                )
        values["role"], values["local_role"] = role, local
        return problems

    def _refuse_repeats(self, read: list[tuple[int, dict]]) -> None:
        """The service refuses two rows for one assignment; here each repeat is named by its cell."""
        for index, first in services.repeated_assignments([values for _number, values in read]):
            (number, values), (first_number, _values) = read[index], read[first]
            self.problems.append(
                f"{self._ref('registration_number', number)}: {values['registration_number']} starting "
                f"{values['start_date']:%d/%m/%Y} is also on row {first_number}. Give each assignment one row."
            )

    def _link_sign_offs(self, rows: list[dict]) -> None:
        """A row keeps a breach sign-off recorded for exactly its worker, role, engagement, start and rate."""
        numbers = sorted({values["registration_number"] for values in rows if values["registration_number"]})
        found: dict[tuple, list[BreachSignOff]] = {}
        step = chunk_size()
        for start in range(0, len(numbers), step):
            for sign_off in BreachSignOff.objects.filter(
                borough__in=self.boroughs, registration_number__any_of=numbers[start : start + step]
            ):
                key = (
                    sign_off.registration_number,
                    sign_off.role_code,
                    sign_off.engagement_type,
                    sign_off.assignment_start,
                    sign_off.hourly_rate,
                )
                found.setdefault(key, []).append(sign_off)
        for values in rows:
            role = values["local_role"] or values["role"]
            key = (
                values["registration_number"],
                role.code if role else None,
                values["engagement_type"],
                values["start_date"],
                values["hourly_pay_rate"],
            )
            matches = found.get(key, [])
            own = [s for s in matches if values["borough"] and s.borough_id == values["borough"].pk]
            values["breach_sign_off"] = (own or matches or [None])[0]

    # One reader per column: each returns the value to load, or raises _Unreadable saying what to type.

    def _borough(self, value) -> Borough | None:
        text = cell_text(value)
        names = " or ".join(b.name for b in self.boroughs)
        if not text:
            if len(self.boroughs) == 1:
                return self.boroughs[0]
            raise _Unreadable(f"choose which borough of {self.ret.unit} the assignment is with: {names}.")
        if _key(text) not in self.unit_boroughs:
            raise _Unreadable(f"‘{quote(text)}’ is not a borough of {self.ret.unit}. Choose {names}.")
        return self.unit_boroughs[_key(text)]

    def _registration_number(self, value) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = cell_text(value)
        if not text:
            return ""
        try:
            return parse_registration_number(text).number
        except RegistrationNumberError as exc:
            raise _Unreadable(str(exc)) from exc

    def _role(self, value) -> RoleCategory | LocalRole | None:
        text = _key(cell_text(value))
        if not text:
            return None
        role = self.core_roles.get(text) or self.local_roles.get(text)
        if role is None:
            codes = ", ".join(dict.fromkeys(r.code for r in self.core_roles.values()))
            raise _Unreadable(f"‘{quote(cell_text(value))}’ is not a role. Choose one from the list, like {codes}.")
        return role

    def _local_role(self, value) -> LocalRole | None:
        text = _key(cell_text(value))
        if not text:
            return None
        if text not in self.local_roles:
            raise _Unreadable(
                f"‘{quote(cell_text(value))}’ is not a local role of {self.region_name}. Choose one from the list, or "
                "leave it blank."
            )
        return self.local_roles[text]

    def _agency(self, value) -> str:
        text = cell_text(value)
        if len(text) > Assignment._meta.get_field("agency_name").max_length:
            raise _Unreadable("the agency's name must be 200 characters or fewer.")
        return text

    def _engagement(self, value) -> str:
        text = _key(cell_text(value))
        if text and text not in self.engagements:
            raise _Unreadable(
                f"‘{quote(cell_text(value))}’ is not an engagement type. Choose paye, umbrella or limited-company."
            )
        return self.engagements.get(text, "")

    def _date(self, value) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            return None
        match = _DMY.match(text) if isinstance(value, str) else None
        parts = (match.group(3), match.group(2), match.group(1)) if match else None
        if isinstance(value, str) and not match and (iso := _ISO.match(text)):
            parts = iso.groups()
        if parts:
            try:
                return date(*(int(p) for p in parts))
            except ValueError:
                raise _Unreadable(f"‘{quote(text)}’ is not a real date. Type it as {DATE_EXAMPLE}.") from None
        raise _Unreadable(f"‘{quote(text)}’ is not a date; type it as {DATE_EXAMPLE}.")

    def _money(self, value, what: str) -> Decimal | None:
        if cell_text(value) == "":
            return None
        try:
            if isinstance(value, bool):
                raise MoneyError(f"Enter {what} as an amount in pounds, like 38.50.")
            if isinstance(value, float):
                # Excel stores numbers as binary floats: 38.45 may arrive as 38.449999999999996.
                pennies = round(value, 2)
                if abs(value - pennies) > 1e-9:
                    raise MoneyError(f"Enter {what} in pounds and pence, with no more than 2 decimal places.")
                value = Decimal(str(pennies))
            return parse_money(value, what=what)
        except MoneyError as exc:
            message = str(exc)
            raise _Unreadable(message[0].lower() + message[1:]) from None

    def _yes_no(self, value, *, blank_ok: bool) -> bool | None:
        if isinstance(value, bool):
            return value
        text = _key(cell_text(value))
        if not text:
            return None
        if text in _YES or text in _NO:
            return text in _YES
        blank = ", or leave it blank if not known" if blank_ok else ""
        raise _Unreadable(f"‘{quote(cell_text(value))}’ is not Yes or No. Choose Yes or No from the list{blank}.")

    def _years(self, value) -> Decimal | None:
        text = cell_text(value)
        if not text:
            return None
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            years = (
                Decimal(str(round(value, 1)))
                if isinstance(value, float) and abs(value - round(value, 1)) < 1e-9
                else Decimal(text)
            )
        except InvalidOperation:
            raise _Unreadable(f"‘{quote(text)}’ is not a number of years. Type it like 3.5.") from None
        if not years.is_finite() or years < 0 or years >= 100 or years != years.quantize(Decimal("0.1")):
            raise _Unreadable(
                f"‘{quote(text)}’ is not a number of years. Type years from 0 to 99.9, with at most one decimal place, "
                "like 3.5."
            )
        return years.quantize(Decimal("0.1"))

    def _weeks(self, value) -> int | None:
        text = cell_text(value)
        if not text:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not (isinstance(value, int) or text.isdigit()):
            raise _Unreadable(f"‘{quote(text)}’ is not a whole number of weeks. Type it like 4.")
        # A digit string too long for int() is out of range anyway; never convert one without a bound.
        weeks = value if isinstance(value, int) else (int(text) if len(text) <= 9 else 10**9)
        if not 0 <= weeks <= 52:
            raise _Unreadable(f"{quote(text)} weeks is not a notice period. Type a whole number of weeks from 0 to 52.")
        return weeks

    def _previous_employer(self, value) -> Borough | None:
        text = cell_text(value)
        if not text:
            return None
        if _key(text) not in self.region_boroughs:
            raise _Unreadable(
                f"‘{quote(text)}’ is not a borough of {self.region_name}. Choose one from the list, or leave it blank."
            )
        return self.region_boroughs[_key(text)]
