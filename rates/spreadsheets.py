"""Rate cards as Excel workbooks: the download of a card, and a new draft made from an uploaded workbook.

The download's "Caps" sheet is also the upload's layout, so an analyst can download the current card,
change figures, add local roles and upload it as the next draft. A downloaded card uploads to the same
lines it came from.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.text import slugify
from openpyxl.utils import get_column_letter

from boroughs.models import Region
from pledge_portal.core.excel import (
    MONEY,
    Sheet,
    SpreadsheetError,
    cell_text,
    merged_ranges,
    read_workbook_safely,
    sheet_rows,
    write_workbook,
)
from pledge_portal.core.text import quote

from . import services
from .models import LocalRole, RateCard, RoleCategory
from .money import MoneyError, parse_money

MAX_BYTES = 1024 * 1024
MAX_ROWS = 500
MAX_COLUMNS = 20  # columns read from each row: the card's five, and room for notes of the analyst's own

CAPS_SHEET = "Caps"
ROLE_CODE = "Role code"
ROLE_NAME = "Role name"
CORE_CODE = "Core role code"
INCLUSIVE_CAP = "Limited company and umbrella cap (£/hour)"
PAYE_CAP = "PAYE cap (£/hour)"
HEADER = [ROLE_CODE, ROLE_NAME, CORE_CODE, INCLUSIVE_CAP, PAYE_CAP]
# Role name and core role code matter only for a row that adds a local role, so a sheet may leave them out.
REQUIRED = [ROLE_CODE, INCLUSIVE_CAP, PAYE_CAP]
CAP_LABELS = {INCLUSIVE_CAP: "limited company and umbrella cap", PAYE_CAP: "PAYE cap"}


class RateCardImportError(Exception):
    """An uploaded rate card we will not use. ``errors`` lists every problem found, each naming its row or
    cell and saying what to change."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ParsedCard:
    lines: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # role code -> (inclusive, PAYE)
    new_local_roles: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, core role code)


# Export


def export_filename(card: RateCard) -> str:
    return f"{slugify(card.region.name)}-rate-card-v{card.version}.xlsx"


def export_rate_card(card: RateCard) -> bytes:
    """The card as a workbook: its caps on a "Caps" sheet (the layout an upload takes) and its details on
    an "About" sheet, which comes first for a demo card. Anyone who may see the card may download it."""
    lines = card.lines.select_related("role", "local_role__core")  # core roles in order, then local roles
    rows = (
        (
            line.role_code,
            line.role_name,
            line.role.code if line.role_id else line.local_role.core.code,
            line.inclusive_cap,
            line.paye_cap,
        )
        for line in lines
    )
    caps = Sheet(
        title=CAPS_SHEET,
        header=HEADER,
        rows=rows,
        column_formats={3: MONEY, 4: MONEY},
        widths=[30, 44, 24, 24, 18],
    )
    about = Sheet(title="About", notes=_about(card), widths=[24, 90])
    # Demo figures must not pass for agreed caps: the warning is the first thing the file opens on.
    return write_workbook([about, caps] if card.is_demo else [caps, about])


def _about(card: RateCard) -> list:
    notes = []
    if card.is_demo:
        notes += [f"DEMO FIGURES – not the agreed {card.region.name} caps", ""]
    approver = card.approved_by.get_full_name() if card.approved_by_id else "Not yet approved"
    notes += [
        ("Rate card", card.title),
        ("Region", card.region.name),
        ("Version", card.version),
        ("Status", card.get_status_display()),
        ("Effective from", card.effective_from),
        ("Effective to", card.effective_to or "No end date"),
        ("Approved by", approver),
        ("Published at", card.published_at or "Not yet published"),
        ("Evidence", card.evidence_note),
        ("Change summary", card.change_summary or "None yet: written when the card is published"),
        "",
        "Caps are in pounds an hour. The limited company and umbrella cap covers the worker's pay plus employer "
        "National Insurance, holiday pay and apprenticeship levy. The PAYE cap is pay only, so it is lower.",
        "To draft a new version, change the figures on the Caps sheet and upload this file. To add a local "
        "role, add a row with a new role code, its name and the code of the core role it belongs to.",
    ]
    return notes


# Import


def parse_rate_card(uploaded_file, *, region: Region) -> ParsedCard:
    """Read the "Caps" sheet of an uploaded workbook. Writes nothing.

    Raises ``RateCardImportError`` listing every problem: a file that is not a safe, small .xlsx, a missing
    sheet or column, formulas or merged cells, amounts that are not money, unknown or repeated roles, PAYE
    caps above their limited company and umbrella caps, and core roles with no row."""
    try:
        workbook = read_workbook_safely(uploaded_file, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except SpreadsheetError as exc:
        raise RateCardImportError([exc.message]) from exc
    try:
        return _CapsReader(workbook, region).read()
    finally:
        workbook.close()


class _CapsReader:
    def __init__(self, workbook, region: Region):
        self.workbook = workbook
        self.region = region
        self.errors: list[str] = []
        self.core = {r.code.lower(): r for r in RoleCategory.objects.all()}
        self.local = {r.code.lower(): r for r in LocalRole.objects.filter(region=region).select_related("core")}
        self.columns: dict[str, int] = {}

    def read(self) -> ParsedCard:
        ws = next((ws for ws in self.workbook.worksheets if ws.title.strip().lower() == CAPS_SHEET.lower()), None)
        if ws is None:
            raise RateCardImportError(
                [
                    f"The workbook has no sheet called “{CAPS_SHEET}”. Put the caps on a sheet named {CAPS_SHEET}, "
                    "laid out like a downloaded rate card, and upload it again."
                ]
            )
        self.errors += [
            f"Cells {ref} on the {CAPS_SHEET} sheet are merged. Unmerge them so that each cell holds one value."
            for ref in merged_ranges(ws)
        ]
        rows = sheet_rows(ws, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
        parsed = ParsedCard()
        seen: dict[str, int] = {}
        try:
            self._read_header(next(rows, (1, ()))[1])
            if self.errors and not self.columns:
                raise RateCardImportError(self.errors)
            for number, cells in rows:
                self._read_row(number, cells, parsed, seen)
        except SpreadsheetError as exc:
            raise RateCardImportError([exc.message]) from exc
        missing = [f"{r.name} ({r.code})" for key, r in self.core.items() if key not in seen]
        if missing:
            self.errors.append(
                f"Add a row for each core role: there is none for {', '.join(missing)}. Every core role needs its caps."
            )
        if self.errors:
            raise RateCardImportError(self.errors)
        return parsed

    def _read_header(self, cells) -> None:
        found = {" ".join(cell_text(cell.value).lower().split()): i for i, cell in enumerate(cells)}
        columns = {title: found[title.lower()] for title in HEADER if title.lower() in found}
        missing = [title for title in REQUIRED if title not in columns]
        if missing:
            self.errors.append(
                f"The {CAPS_SHEET} sheet is missing the column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(f'“{m}”' for m in missing)}. Row 1 must have the headings of a downloaded rate card: "
                f"{', '.join(HEADER)}."
            )
        else:
            self.columns = columns

    def _where(self, number: int, title: str) -> str:
        return f"Row {number}, column {get_column_letter(self.columns[title] + 1)}"

    def _read_row(self, number: int, cells, parsed: ParsedCard, seen: dict[str, int]) -> None:
        values = {}
        formula = False
        for title, index in self.columns.items():
            cell = cells[index] if index < len(cells) else None
            if cell is not None and cell.data_type == "f":
                what = "figure" if title in CAP_LABELS else "text"
                self.errors.append(f"{self._where(number, title)} holds a formula. Type the {what} itself.")
                formula = True
            values[title] = cell.value if cell is not None else None
        if formula or all(cell_text(v) == "" for v in values.values()):
            return

        caps = {title: self._money(number, title, values[title]) for title in CAP_LABELS}
        code = cell_text(values[ROLE_CODE])
        if not code:
            self.errors.append(f"{self._where(number, ROLE_CODE)}: enter the role code, like social-worker.")
            return
        key = code.lower()
        if key in seen:
            self.errors.append(
                f"{self._where(number, ROLE_CODE)}: {quote(code)} is also on row {seen[key]}. Give each role one row."
            )
            return
        seen[key] = number
        code = self._role_code(number, key, values, parsed)

        inclusive, paye = caps[INCLUSIVE_CAP], caps[PAYE_CAP]
        if inclusive is not None and paye is not None and paye > inclusive:
            self.errors.append(
                f"{self._where(number, PAYE_CAP)}: the PAYE cap (£{paye}) is more than the limited company and "
                f"umbrella cap (£{inclusive}). PAYE caps leave out on-costs, so make it lower."
            )
        elif code is not None and inclusive is not None and paye is not None:
            parsed.lines[code] = (inclusive, paye)

    def _role_code(self, number: int, key: str, values: dict, parsed: ParsedCard) -> str | None:
        """The role's code as stored (a core role, an existing or a new local role), or None after an error."""
        given_core = cell_text(values.get(CORE_CODE)).lower()
        if key in self.core:
            return self.core[key].code
        if key in self.local:
            local = self.local[key]
            if given_core and given_core != local.core.code.lower():
                self.errors.append(
                    f"{self._where(number, CORE_CODE)}: {local.code} belongs to {local.core.name} "
                    f"({local.core.code}). Put {local.core.code} here, or give the role under "
                    f"{quote(given_core)} a new role code."
                )
                return None
            return local.code

        name = cell_text(values.get(ROLE_NAME))
        if not (name and given_core):
            how = (
                f"give its name in column {get_column_letter(self.columns[ROLE_NAME] + 1)} and its core role code "
                f"in column {get_column_letter(self.columns[CORE_CODE] + 1)}"
                if ROLE_NAME in self.columns and CORE_CODE in self.columns
                else f"add “{ROLE_NAME}” and “{CORE_CODE}” columns and fill them in"
            )
            self.errors.append(
                f"{self._where(number, ROLE_CODE)}: “{quote(key)}” is not a role on {self.region.name}'s rate cards. "
                f"Check the role code, or to add it as a local role, {how}."
            )
            return None
        problems = []
        try:
            validate_slug(key)
            if len(key) > LocalRole._meta.get_field("code").max_length:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(
                f"{self._where(number, ROLE_CODE)}: “{quote(key)}” cannot be a role code. Use up to 60 lower-case "
                "letters, numbers and hyphens, like principal-social-worker."
            )
        if len(name) > LocalRole._meta.get_field("name").max_length:
            problems.append(f"{self._where(number, ROLE_NAME)}: the role name must be 120 characters or fewer.")
        if given_core not in self.core:
            problems.append(
                f"{self._where(number, CORE_CODE)}: “{quote(given_core)}” is not a core role code. Use one of "
                f"{', '.join(r.code for r in self.core.values())}."
            )
        if problems:
            self.errors += problems
            return None
        parsed.new_local_roles.append((key, name, self.core[given_core].code))
        return key

    def _money(self, number: int, title: str, value) -> Decimal | None:
        if cell_text(value) == "":
            self.errors.append(f"{self._where(number, title)}: enter the {CAP_LABELS[title]}, like 38.50.")
            return None
        try:
            return _cap(value)
        except MoneyError as exc:
            message = str(exc)
            self.errors.append(f"{self._where(number, title)}: {message[0].lower()}{message[1:]}")
            return None


def _cap(value) -> Decimal:
    """A cap from a cell. Excel stores numbers as binary floats, so 38.45 may arrive as 38.449999999999996:
    a float within a hair of a whole penny is that penny; anything else has more than 2 decimal places."""
    if isinstance(value, float):
        pennies = round(value, 2)
        if abs(value - pennies) > 1e-9:
            raise MoneyError("Enter the cap in pounds and pence, with no more than 2 decimal places.")
        value = Decimal(str(pennies))
    return parse_money(value)


def import_draft(
    *,
    region: Region,
    by,
    uploaded_file,
    title: str,
    effective_from: date,
    evidence_note: str,
    effective_to: date | None = None,
) -> RateCard:
    """Create a draft card for ``region`` from an uploaded workbook, adding the local roles it introduces.

    The caller checks that ``by`` may draft the region's cards (a regional analyst of the region). Raises
    ``RateCardImportError`` listing every problem; then nothing at all is written."""
    if effective_to is not None and effective_to < effective_from:
        raise RateCardImportError(["The end date must be the same as or after the start date."])
    parsed = parse_rate_card(uploaded_file, region=region)
    with transaction.atomic():
        for code, name, core_code in parsed.new_local_roles:
            services.create_local_role(region=region, by=by, code=code, name=name, core_code=core_code)
        card = services.create_draft(
            region=region,
            by=by,
            title=title,
            effective_from=effective_from,
            effective_to=effective_to,
            evidence_note=evidence_note,
        )
        try:
            return services.update_draft(card=card, by=by, lines=parsed.lines)
        except services.RateCardError as exc:  # the parse checks the same rules; this is a safety net
            raise RateCardImportError([str(exc)]) from exc
