"""The compliance pack as a workbook, through the one Excel writer (``core.excel.write_workbook``): a README
sheet, then one sheet per table of the pack (``core.excel.table_sheet``) with a bold frozen header, a filter,
and numbers stored as numbers with money, percentage and date formats. The writer neutralises every text
cell, so an agency or borough name typed as a formula (``=HYPERLINK(...)``) is text in the pack, never a
formula."""

from pledge_portal.core.excel import Sheet, table_sheet, write_workbook

from .content import Pack


def _readme(pack: Pack) -> Sheet:
    notes: list = [
        pack.title,
        "",
        ("Period", pack.period_label),
        ("Region", pack.region),
        ("Covers", pack.subject),
        ("Generated", pack.generated_at.replace(tzinfo=None)),
        ("Data version", pack.data_version),
        ("Coverage", pack.coverage_text),
        (
            "Status",
            f"PROVISIONAL. {pack.provisional_text}." if pack.provisional else "Final: built after the period locked",
        ),
        "",
        "Sheets",
    ]
    notes += [(table.sheet, f"{section.title}: {table.title}") for section, table in pack.tables()]
    method = next((s for s in pack.sections if s.slug == "method"), None)
    if method is not None:
        notes += ["", "Method"] + method.paragraphs
    return Sheet(title="README", notes=notes, widths=[28, 110])


def pack_workbook(pack: Pack) -> bytes:
    sheets = [table_sheet(table, heading=f"{section.title}: {table.title}") for section, table in pack.tables()]
    return write_workbook([_readme(pack), *sheets])
