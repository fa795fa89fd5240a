"""Workbooks written as raw XML in a ZIP, for files no spreadsheet program would save: sheets that claim or
hold absurd sizes, rows numbered a million down, shared strings by the hundred thousand. Built from repeated
byte strings, so a hostile file of megabytes of XML takes milliseconds to make and a few KB to hold."""

import io
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def inline(reference: str, text: str) -> bytes:
    """A cell holding ``text`` as an inline string."""
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'.encode()


def header_row(titles: list[str]) -> bytes:
    from openpyxl.utils import get_column_letter

    cells = b"".join(inline(f"{get_column_letter(i + 1)}1", title) for i, title in enumerate(titles))
    return b'<row r="1">' + cells + b"</row>"


def sheet(rows: bytes, *, dimension: str | None = None) -> bytes:
    """A worksheet's XML around ``rows`` (``<row>`` elements), stating ``dimension`` if given."""
    stated = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">'.encode()
        + stated
        + b"<sheetData>"
        + rows
        + b"</sheetData></worksheet>"
    )


def workbook(sheets: dict[str, bytes], *, shared_strings: bytes | None = None) -> bytes:
    """An .xlsx with ``sheets`` (title -> worksheet XML, in order) and, if given, the raw ``<si>`` elements of
    its shared strings."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    if shared_strings is not None:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            + "".join(
                f'<sheet name="{escape(title)}" sheetId="{i}" r:id="rId{i}"/>' for i, title in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + (
                f'<Relationship Id="rId{len(sheets) + 1}" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
                if shared_strings is not None
                else ""
            )
            + "</Relationships>"
        ).encode(),
    }
    for i, xml in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = xml
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode() + (
            shared_strings + b"</sst>"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()
