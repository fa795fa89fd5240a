"""Server-side SVG charts: the one chart module for pages and the PDF compliance pack (DESIGN.md section 6).

Each function takes plain numbers and labels and returns safe SVG markup (every label escaped), with
``role="img"``, a ``<title>`` and a ``<desc>`` named by ``aria-labelledby``. Charts never rely on colour
alone: bars carry their value as text, lines differ by dash pattern and marker shape and are labelled at
their end, and range charts draw the median as a dot with its value beside it. No CSS file, JavaScript or
request is needed, so WeasyPrint draws the same picture as the browser. A page shows a table of the same
numbers beside every chart: the chart is a picture of the table, not a replacement for it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal

INK = "#0b0c0c"
MID = "#505a5f"
LIGHT = "#b1b4b6"
BAR = "#1d70b8"
FONT = 'font-family="Arial, Helvetica, sans-serif" font-size="14"'
DASHES = ("", "8 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond")
LABEL_WIDTH = 190
ROW_HEIGHT = 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number | None
    text: str = ""  # how the value is written beside the bar; by default the number itself


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]  # one per x label; None leaves a gap


@dataclass(frozen=True)
class Spread:
    label: str
    low: Number | None  # lower quartile
    median: Number | None
    high: Number | None  # upper quartile
    marker: Number | None = None  # a reference value, such as the cap
    text: str = ""


def _e(text) -> str:
    return escape(str(text), quote=True)


def _num(value: Number) -> str:
    return f"{float(value):.1f}"


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    cid = _e(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" {FONT}>',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every label above went through _e


def _empty(parts: list[str], width: int) -> SafeString:
    parts.append(f'<text x="{width // 2}" y="30" text-anchor="middle" fill="{MID}">No figures to show</text>')
    return _close(parts)


def bar_chart(*, chart_id: str, title: str, desc: str, bars: Sequence[Bar], width: int = 640) -> SafeString:
    """Horizontal bars, one row per label, each with its value written at its end."""
    height = max(len(bars), 1) * ROW_HEIGHT + 16
    parts = _open(chart_id, title, desc, width, height)
    values = [float(b.value) for b in bars if b.value is not None]
    if not values:
        return _empty(parts, width)
    top = max(max(values), 0.0) or 1.0
    room = width - LABEL_WIDTH - 90
    for i, bar in enumerate(bars):
        y = 8 + i * ROW_HEIGHT
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" fill="{INK}">{_e(bar.label)}</text>')
        length = 0.0 if bar.value is None else max(float(bar.value), 0.0) / top * room
        if length:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="{ROW_HEIGHT - 8}" fill="{BAR}" '
                f'stroke="{INK}" stroke-width="1"/>'
            )
        text = bar.text or ("no figure" if bar.value is None else str(bar.value))
        parts.append(f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 18}" fill="{INK}">{_e(text)}</text>')
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="4" x2="{LABEL_WIDTH}" y2="{height - 4}" stroke="{INK}" stroke-width="1"/>'
    )
    return _close(parts)


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{INK}"/>'
    if kind == "triangle":
        return f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}" fill="{INK}"/>'
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}" '
            f'fill="white" stroke="{INK}" stroke-width="1.5"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{INK}"/>'


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    y_suffix: str = "",
    width: int = 640,
    height: int = 300,
) -> SafeString:
    """Lines over quarters: each series has its own dash pattern and marker, and its name at its last point."""
    parts = _open(chart_id, title, desc, width, height)
    values = [float(v) for s in series for v in s.values if v is not None]
    if not values or not x_labels:
        return _empty(parts, width)
    left, right, top_pad, bottom = 60, 150, 16, 60
    low, high = min(0.0, min(values)), max(values) or 1.0
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    step = plot_w / max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return left + i * step if len(x_labels) > 1 else left + plot_w / 2

    def y_at(v: float) -> float:
        return top_pad + plot_h - (v - low) / ((high - low) or 1.0) * plot_h

    base = top_pad + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{INK}"/>')
    parts.append(f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{base}" stroke="{INK}"/>')
    for v in (low, (low + high) / 2, high):
        y = y_at(v)
        parts.append(
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" fill="{MID}">{_e(_num(v) + y_suffix)}</text>'
        )
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{LIGHT}"/>')
    for i, label in enumerate(x_labels):
        x = x_at(i)
        parts.append(
            f'<text x="{x:.1f}" y="{base + 18}" text-anchor="end" transform="rotate(-30 {x:.1f} {base + 18})" '
            f'fill="{INK}" font-size="12">{_e(label)}</text>'
        )
    for n, s in enumerate(series):
        points = [(x_at(i), y_at(float(v))) for i, v in enumerate(s.values) if v is not None]
        if not points:
            continue
        dash = DASHES[n % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"{dash_attr}/>')
        parts.extend(_marker(MARKERS[n % len(MARKERS)], x, y) for x, y in points)
        x, y = points[-1]
        parts.append(f'<text x="{x + 10:.1f}" y="{y + 5:.1f}" fill="{INK}">{_e(s.name)}</text>')
    return _close(parts)


def range_chart(
    *, chart_id: str, title: str, desc: str, rows: Sequence[Spread], marker_name: str = "cap", width: int = 640
) -> SafeString:
    """Median and spread per row: a line from lower to upper quartile, a dot at the median with its value,
    and an optional reference tick (the cap) drawn as a tall bar and named in words."""
    height = max(len(rows), 1) * (ROW_HEIGHT + 8) + 40
    parts = _open(chart_id, title, desc, width, height)
    values = [float(v) for r in rows for v in (r.low, r.median, r.high, r.marker) if v is not None]
    if not values:
        return _empty(parts, width)
    low, high = min(values) * 0.95, max(values) * 1.05 or 1.0
    room = width - LABEL_WIDTH - 140

    def x_at(v: Number) -> float:
        return LABEL_WIDTH + (float(v) - low) / ((high - low) or 1.0) * room

    for i, row in enumerate(rows):
        y = 20 + i * (ROW_HEIGHT + 8)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 5}" text-anchor="end" fill="{INK}">{_e(row.label)}</text>')
        if row.low is not None and row.high is not None:
            parts.append(
                f'<line x1="{x_at(row.low):.1f}" y1="{y}" x2="{x_at(row.high):.1f}" y2="{y}" stroke="{INK}" '
                'stroke-width="3"/>'
            )
        if row.marker is not None:
            mx = x_at(row.marker)
            parts.append(
                f'<line x1="{mx:.1f}" y1="{y - 11}" x2="{mx:.1f}" y2="{y + 11}" stroke="{INK}" stroke-width="2" '
                'stroke-dasharray="3 2"/>'
            )
        if row.median is not None:
            parts.append(
                f'<circle cx="{x_at(row.median):.1f}" cy="{y}" r="6" fill="white" stroke="{INK}" stroke-width="2"/>'
            )
        text = row.text or (f"median {row.median}" if row.median is not None else "no figure")
        if row.marker is not None:
            text += f", {marker_name} {row.marker}"
        right = max(x_at(v) for v in (row.low, row.median, row.high, row.marker) if v is not None)
        parts.append(f'<text x="{right + 10:.1f}" y="{y + 5}" fill="{INK}" font-size="12">{_e(text)}</text>')
    key_y = height - 10
    parts.append(
        f'<text x="{LABEL_WIDTH}" y="{key_y}" fill="{MID}" font-size="12">Key: line, lower to upper quartile; '
        f"circle, median; dashed tick, {_e(marker_name)}</text>"
    )
    return _close(parts)
