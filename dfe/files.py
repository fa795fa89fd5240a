"""The DfE return's files, written from ``content.Content`` through the declared mapping: a workbook (README,
Mapping, Coverage, the return's sheets and, when the period holds 30 September, the census sheets) and the
assignment-level sheet as CSV. Every sheet is a ``core.tables.Table`` through the one Excel and CSV writers,
so text typed by a user is never a formula, and a blank value is an empty cell whatever its column."""

from __future__ import annotations

from django.utils.text import slugify

from pledge_portal.core.excel import Sheet, table_sheet, write_workbook
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import Column, Table

from . import mapping
from .content import Content
from .mapping import CODE_LISTS, PROVENANCE, RULES, WINDOWS, Field, SheetSpec


def value(record: dict, source: str):
    """The value a field's ``source`` names in a record: ``derived.x`` from the builder's values, otherwise an
    attribute of the object the record holds under that name (None when the record has no such object)."""
    owner, name = source.split(".", 1)
    if owner == "derived":
        return record["derived"][name]
    obj = record.get(owner)
    return None if obj is None else getattr(obj, name)


def cell(field: Field, record: dict):
    raw = value(record, field.source)
    return CODE_LISTS[field.codes].encode(raw) if field.codes else raw


def column(field: Field) -> Column:
    # A coded value is the DfE's code, written as text whatever the kind of what it encodes.
    return Column(field.heading, "text" if field.codes else field.kind)


def sheet_table(spec: SheetSpec, records: list[dict]) -> Table:
    return Table(
        spec.description,
        [column(f) for f in spec.fields],
        ([cell(f, record) for f in spec.fields] for record in records),
        sheet=spec.title,
        note=f"Certainty of this sheet: {spec.certainty.label}. Source: {spec.basis}.",
    )


def sheets_for(content: Content) -> list[SheetSpec]:
    sheets = [mapping.COVERAGE, *mapping.RETURN_SHEETS]
    if content.census_date is not None:
        sheets += list(mapping.CENSUS_SHEETS)
    return sheets


def _readme(content: Content, sheets: list[SheetSpec]) -> Sheet:
    what = "Regional extract" if content.regional else "Statutory return"
    notes: list = [
        f"DfE agency child and family social worker return: {what}, {content.subject}",
        "",
        ("Quarter", content.period.label),
        ("Region", content.period.region.name),
        ("Covers", content.subject),
        ("Generated", content.generated_at.replace(tzinfo=None)),
        ("Coverage", content.coverage_text),
    ]
    for line in content.coverage:
        notes.append((line.borough.name, f"{line.status}{'' if line.accepted else ' (not yet accepted)'}"))
    if content.census_date is not None:
        notes.append(
            ("Workforce census", f"Agency-worker items at {content.census_date:%-d %B %Y} are on the Census sheets.")
        )
    else:
        notes.append(
            (
                "Workforce census",
                "The census counts workers at 30 September: its items are in the file of the "
                "quarter that holds that date.",
            )
        )
    notes += ["", "About this file", PROVENANCE, "", "Sheets"]
    notes += [(spec.title, spec.description) for spec in sheets]
    return Sheet(title="README", notes=notes, widths=[30, 120])


def _mapping_sheet() -> Sheet:
    """Every column of every sheet with its source and certainty; the code lists; the rules; the windows."""
    rows: list[list] = []
    for spec in mapping.SHEETS:
        for f in spec.fields:
            codes = CODE_LISTS[f.codes] if f.codes else None
            rows.append(
                [
                    "Column",
                    spec.title,
                    f.heading,
                    f.source,
                    f.certainty.label,
                    f.basis + (f"; coded as {codes.name} ({codes.certainty.label})" if codes else ""),
                ]
            )
    for key, codes in CODE_LISTS.items():
        for ours, theirs in codes.codes.items():
            rows.append(["Code", codes.name, str(theirs), f"{key}: {ours}", codes.certainty.label, codes.basis])
    for rule in RULES:
        applies = f"applies to assignments starting from {rule.applies_from:%-d %B %Y}" if rule.applies_from else ""
        rows.append(["Rule", rule.heading, rule.statement, applies, rule.certainty.label, rule.basis])
    for window in WINDOWS:
        rows.append(["Window", window.key, window.description, "", window.certainty.label, window.basis])
    table = Table(
        "How each column maps to the portal's data, and how certain it is",
        [
            Column(t)
            for t in ("Item", "Sheet or list", "Heading, code or statement", "Our source", "Certainty", "Basis")
        ],
        rows,
        sheet="Mapping",
        note=PROVENANCE,
    )
    return table_sheet(table)


def workbook(content: Content) -> bytes:
    """The whole file: README, the return's sheets (and census sheets), then the Mapping."""
    sheets = sheets_for(content)
    out = [_readme(content, sheets)]
    out += [table_sheet(sheet_table(spec, content.records[spec.key])) for spec in sheets]
    out.append(_mapping_sheet())
    return write_workbook(out)


def assignments_csv(content: Content) -> bytes:
    """The assignment-level sheet alone, as CSV."""
    return table_csv(sheet_table(mapping.ASSIGNMENTS, content.records["assignments"]))


def file_name(content: Content, extension: str, *, part: str = "return") -> str:
    """Like ``dfe-agency-return-202-camden-2026-27-q2.xlsx``, or ``dfe-agency-extract-london-...`` for the region."""
    quarter = slugify(content.quarter)
    if content.regional:
        return f"dfe-agency-extract-{slugify(content.subject)}-{quarter}.{extension}"
    borough = content.boroughs[0]
    name = "dfe-agency-return" if part == "return" else f"dfe-agency-{part}"
    return f"{name}-{borough.dfe_code}-{slugify(borough.name)}-{quarter}.{extension}"
