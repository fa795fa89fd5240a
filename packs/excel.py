"""The compliance pack as a workbook, through the one Excel writer (``core.excel.write_workbook``): a README
sheet, then one sheet per table of the pack with a bold frozen header, a filter, and numbers stored as
numbers with money, percentage and date formats. The writer neutralises every text cell, so an agency or
borough name typed as a formula (``=HYPERLINK(...)``) is text in the pack, never a formula."""

from decimal import Decimal

from pledge_portal.core.excel import DATE, MONEY, Sheet, write_workbook

from .content import Pack, Table

FORMATS = {
    "count": "#,##0",
    "fte": "#,##0.00",
    "money": MONEY,
    "rate": MONEY,
    "percent": "0.0%",
    "days": "0.0",
    "date": DATE,
}


def _value(value, kind: str):
    if value is None:
        return None
    if kind == "percent":
        return Decimal(value) / 100  # Excel's percentages are fractions: 16.4% is 0.164
    if kind == "yesno":
        return "Yes" if value else "No"
    return value


def _sheet(table: Table, section_title: str) -> Sheet:
    kinds = [c.kind for c in table.columns]
    return Sheet(
        title=table.sheet,
        header=[c.title for c in table.columns],
        rows=([_value(v, k) for v, k in zip(row, kinds, strict=True)] for row in table.rows),
        column_formats={i: FORMATS[k] for i, k in enumerate(kinds) if k in FORMATS},
        widths=[max(12, min(40, len(c.title) + 4)) for c in table.columns],
        notes=[f"{section_title}: {table.title}", *([table.note] if table.note else [])],
    )


def _readme(pack: Pack) -> Sheet:
    notes: list = [
        pack.title,
        "",
        ("Period", pack.period_label),
        ("Region", pack.region),
        ("Covers", pack.subject),
        ("Generated", pack.generated_at.replace(tzinfo=None)),
        ("Data version", pack.data_version),
        "",
        "Sheets",
    ]
    notes += [(table.sheet, f"{section.title}: {table.title}") for section, table in pack.tables()]
    method = next((s for s in pack.sections if s.slug == "method"), None)
    if method is not None:
        notes += ["", "Method"] + method.paragraphs
    return Sheet(title="README", notes=notes, widths=[28, 110])


def pack_workbook(pack: Pack) -> bytes:
    return write_workbook([_readme(pack)] + [_sheet(table, section.title) for section, table in pack.tables()])
