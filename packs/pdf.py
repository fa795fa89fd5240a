"""The compliance pack as a PDF (WeasyPrint, through ``core.pdf.render_pdf``): A4, a contents page, the
period and generation time in every page's margin, "Page N of M", tables (``core.tables.Table``, in the
same ``includes/table.html`` as the pages) whose header row repeats and whose rows never split across
pages, charts as inline SVG from ``core.charts``, and a tagged PDF so assistive technology can read its
structure."""

import html
import re

from django.utils.safestring import SafeString, mark_safe

from pledge_portal.core.pdf import render_pdf_with_pages

from .content import Pack


def css_string(text: str) -> SafeString:
    """Text as a quoted CSS string for the page margins: quotes, backslashes and angle brackets escaped, so
    a name cannot end the string or the style element."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' else ch for ch in text)
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every character that could break out is escaped


_STYLE = re.compile(r'\sstyle="[^"]*"')
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S)


def caption(svg: SafeString) -> str:
    """The chart's own title (what a screen reader announces), to print above it."""
    found = _TITLE.search(svg)
    return html.unescape(found.group(1)) if found else ""


def sized(svg: SafeString) -> SafeString:
    """The chart at the size it was drawn (``CHART_WIDTH``), without the style that lets it shrink on a
    narrow screen: WeasyPrint gives a shrunk inline SVG a square box, far taller than its drawing."""
    return mark_safe(_STYLE.sub("", svg, count=1))  # noqa: S308 - only an attribute of the chart's own tag goes


def pack_pdf(pack: Pack) -> tuple[bytes, int]:
    """The PDF's bytes and its number of pages."""
    sections = [
        {
            "slug": s.slug,
            "title": s.title,
            "paragraphs": s.paragraphs,
            "charts": [{"svg": sized(chart), "caption": caption(chart)} for chart in s.charts],
            "tables": s.tables,
            "wide": s.wide,
            "compact": s.compact,
        }
        for s in pack.sections
    ]
    margins = {
        "top_left": css_string(f"{pack.subject} compliance pack · {pack.quarter}"),
        "top_right": css_string(f"Generated {pack.generated_at:%-d %B %Y, %H:%M}"),
        "bottom_left": css_string(f"Data version {pack.data_version}"),
        "provisional": css_string("PROVISIONAL: built before the period locked") if pack.provisional else None,
    }
    context = {"pack": pack, "sections": sections, "margins": margins}
    return render_pdf_with_pages("packs/pack.html", context, pdf_tags=True)
