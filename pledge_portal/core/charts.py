"""Server-side SVG charts: the one chart module for pages and the PDF compliance pack (DESIGN.md section 6).

Each function takes plain numbers and labels and returns safe SVG markup (every label escaped), with
``role="img"``, a ``<title>`` and a ``<desc>`` named by ``aria-labelledby``. Charts never rely on colour
alone: bars carry their value as text, lines differ by dash pattern and marker shape and are labelled at
their end, and range charts draw the median as a dot with its value beside it. No CSS file, JavaScript or
request is needed, so WeasyPrint draws the same picture as the browser. A page shows a table of the same
numbers beside every chart: the chart is a picture of the table, not a replacement for it.
"""

import math
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
SIZE = 14  # px in the viewBox; charts are drawn at their natural width, so this is the size a reader sees
FONT = f'font-family="Arial, Helvetica, sans-serif" font-size="{SIZE}"'
DASHES = ("", "8 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond")
WIDTH = 760
ROW_HEIGHT = 28
LINE_HEIGHT = 17


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


def text_width(text: str, size: int = SIZE) -> float:
    """Roughly how wide Arial draws ``text``: enough to lay out labels without measuring fonts."""
    return len(str(text)) * size * 0.56


def wrap(text: str, width: float, *, lines: int = 2, size: int = SIZE) -> list[str]:
    """``text`` in at most ``lines`` lines no wider than ``width``; the last line ends in an ellipsis if
    the words do not fit (the table beside the chart has the whole label)."""
    most = max(int(width / (size * 0.56) + 0.5), 4)
    out: list[str] = []
    current = ""
    for word in str(text).split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= most:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
    out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: most - 1].rstrip() + "…"
    return [line if len(line) <= most else line[: most - 1] + "…" for line in out]


def _label(x: float, y: float, lines: list[str], *, anchor: str = "end", extra: str = "") -> str:
    """Text of one or more lines, vertically centred on ``y``."""
    first = y + 5 - (len(lines) - 1) * LINE_HEIGHT / 2
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{first + i * LINE_HEIGHT:.1f}">{_e(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text text-anchor="{anchor}" fill="{INK}"{extra}>{spans}</text>'


def nice_ticks(low: float, high: float, count: int = 4, *, whole: bool = False) -> list[float]:
    """Round-numbered ticks from at or below ``low`` to at or above ``high`` (1, 2, 2.5 or 5 times a power
    of ten apart), so an axis reads 0, 5,000, 10,000 rather than 0.0, 5833.3, 11666.7. ``whole``: the
    values are counts, so ticks are at least 1 apart."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = max(math.ceil(step), 1)
    ticks = [math.floor(low / step) * step]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def tick_text(value: float, step: float, prefix: str = "", suffix: str = "") -> str:
    places = 0 if float(step).is_integer() else max(1, -math.floor(math.log10(step % 1 or step)))
    return f"{prefix}{value:,.{places}f}{suffix}"


def _open(chart_id: str, title: str, desc: str, width: int, height: float) -> list[str]:
    cid = _e(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'viewBox="0 0 {width} {height:.0f}" width="{width}" height="{height:.0f}" '
        f'class="pledge-chart" {FONT}>',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]


def _close(parts: list[str]) -> SafeString:
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every label above went through _e


def _empty(chart_id: str, title: str, desc: str, width: int) -> SafeString:
    parts = _open(chart_id, title, desc, width, 48)
    parts.append(f'<text x="{width // 2}" y="30" text-anchor="middle" fill="{MID}">No figures to show</text>')
    return _close(parts)


def _label_width(labels: Sequence[str], width: int) -> float:
    """Room for the labels on the left: the longest label, up to 40% of the chart."""
    return min(max((text_width(label) for label in labels), default=40) + 12, width * 0.4)


def bar_chart(*, chart_id: str, title: str, desc: str, bars: Sequence[Bar], width: int = WIDTH) -> SafeString:
    """Horizontal bars, one row per label (wrapped to two lines when long), each with its value at its end."""
    values = [float(b.value) for b in bars if b.value is not None]
    if not values:
        return _empty(chart_id, title, desc, width)
    texts = [b.text or ("no figure" if b.value is None else str(b.value)) for b in bars]
    label_width = _label_width([b.label for b in bars], width)
    labels = [wrap(b.label, label_width - 12) for b in bars]
    heights = [ROW_HEIGHT + (len(lines) - 1) * LINE_HEIGHT for lines in labels]
    height = sum(heights) + 16
    parts = _open(chart_id, title, desc, width, height)
    top = max(max(values), 0.0) or 1.0
    room = width - label_width - max(text_width(t) for t in texts) - 12
    y = 8.0
    for bar, lines, text, row in zip(bars, labels, texts, heights, strict=True):
        middle = y + row / 2
        parts.append(_label(label_width - 8, middle, lines))
        length = 0.0 if bar.value is None else max(float(bar.value), 0.0) / top * room
        if length:
            parts.append(
                f'<rect x="{label_width:.1f}" y="{middle - 10:.1f}" width="{length:.1f}" height="20" fill="{BAR}" '
                f'stroke="{INK}" stroke-width="1"/>'
            )
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{middle + 5:.1f}" fill="{INK}">{_e(text)}</text>')
        y += row
    parts.append(
        f'<line x1="{label_width:.1f}" y1="4" x2="{label_width:.1f}" y2="{height - 4:.1f}" stroke="{INK}" '
        'stroke-width="1"/>'
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
    y_prefix: str = "",
    y_suffix: str = "",
    width: int = WIDTH,
    height: int = 300,
) -> SafeString:
    """Lines over quarters or months on round-numbered axes. Each series has its own dash pattern and
    marker, named in a key below the chart; when there are many x labels only some are written."""
    values = [float(v) for s in series for v in s.values if v is not None]
    if not values or not x_labels:
        return _empty(chart_id, title, desc, width)
    ticks = nice_ticks(min(0.0, min(values)), max(values), whole=all(v.is_integer() for v in values))
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    tick_labels = [tick_text(t, step, y_prefix, y_suffix) for t in ticks]
    # Room for the tick labels, and for the first x label, which is written slanting down to the left.
    left = max(max(text_width(t) for t in tick_labels) + 16, text_width(x_labels[0], 12) * 0.82 + 4)
    right, top_pad, bottom = 24, 14, 64
    key_rows = math.ceil(len(series) / 3)
    total = height + key_rows * 24
    parts = _open(chart_id, title, desc, width, total)
    low, high = ticks[0], ticks[-1]
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    gap = plot_w / max(len(x_labels) - 1, 1)

    def x_at(i: int) -> float:
        return left + i * gap if len(x_labels) > 1 else left + plot_w / 2

    def y_at(v: float) -> float:
        return top_pad + plot_h - (v - low) / ((high - low) or 1.0) * plot_h

    base = top_pad + plot_h
    for value, text in zip(ticks, tick_labels, strict=True):
        y = y_at(value)
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="{LIGHT}"/>')
        parts.append(f'<text x="{left - 6:.1f}" y="{y + 5:.1f}" text-anchor="end" fill="{MID}">{_e(text)}</text>')
    parts.append(f'<line x1="{left:.1f}" y1="{base}" x2="{left + plot_w:.1f}" y2="{base}" stroke="{INK}"/>')
    parts.append(f'<line x1="{left:.1f}" y1="{top_pad}" x2="{left:.1f}" y2="{base}" stroke="{INK}"/>')
    every = max(1, math.ceil(len(x_labels) / max(plot_w // 34, 1)))
    for i, label in enumerate(x_labels):
        if i % every and i != len(x_labels) - 1:
            continue
        x = x_at(i)
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 5}" stroke="{INK}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{base + 18}" text-anchor="end" transform="rotate(-35 {x:.1f} {base + 18})" '
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
        if len(points) <= 60:
            parts.extend(_marker(MARKERS[n % len(MARKERS)], x, y) for x, y in points)
    parts.extend(_key(series, left, height, plot_w))
    return _close(parts)


def _key(series: Sequence[Series], left: float, top: float, room: float) -> list[str]:
    """A sample of each series' line and marker with its name, three to a row."""
    parts = [f'<text x="{left:.1f}" y="{top + 2:.1f}" fill="{MID}" font-size="12">Key:</text>']
    column = room / 3
    for n, s in enumerate(series):
        x = left + 34 + (n % 3) * column
        y = top - 3 + (n // 3) * 24
        dash = DASHES[n % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 34:.1f}" y2="{y:.1f}" stroke="{INK}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        parts.append(_marker(MARKERS[n % len(MARKERS)], x + 17, y))
        name = wrap(s.name, column - 48, lines=1)[0]
        parts.append(f'<text x="{x + 40:.1f}" y="{y + 5:.1f}" fill="{INK}">{_e(name)}</text>')
    return parts


def range_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[Spread],
    marker_name: str = "cap",
    width: int = WIDTH,
    x_prefix: str = "",
) -> SafeString:
    """Median and spread per row: a line from lower to upper quartile, a circle at the median, a dashed tick
    at the reference value (the cap), the figures in words at the right, and an axis of round values below
    (with light grid lines) so a dot's position can be read."""
    values = [float(v) for r in rows for v in (r.low, r.median, r.high, r.marker) if v is not None]
    if not values:
        return _empty(chart_id, title, desc, width)
    texts = []
    for row in rows:
        text = row.text or (f"median {row.median}" if row.median is not None else "no figure")
        texts.append(text + (f", {marker_name} {row.marker}" if row.marker is not None else ""))
    label_width = _label_width([r.label for r in rows], width)
    labels = [wrap(r.label, label_width - 12) for r in rows]
    heights = [ROW_HEIGHT + 8 + (len(lines) - 1) * LINE_HEIGHT for lines in labels]
    axis_height = 28
    height = sum(heights) + 40 + axis_height
    parts = _open(chart_id, title, desc, width, height)
    ticks = nice_ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    room = width - label_width - max(text_width(t, 12) for t in texts) - 24

    def x_at(v: Number) -> float:
        return label_width + 6 + (float(v) - low) / ((high - low) or 1.0) * (room - 6)

    y = 6.0
    for row, lines, text, h in zip(rows, labels, texts, heights, strict=True):
        middle = y + h / 2
        parts.append(_label(label_width - 8, middle, lines))
        if row.low is not None and row.high is not None:
            parts.append(
                f'<line x1="{x_at(row.low):.1f}" y1="{middle:.1f}" x2="{x_at(row.high):.1f}" y2="{middle:.1f}" '
                f'stroke="{INK}" stroke-width="3"/>'
            )
        if row.marker is not None:
            mx = x_at(row.marker)
            parts.append(
                f'<line x1="{mx:.1f}" y1="{middle - 11:.1f}" x2="{mx:.1f}" y2="{middle + 11:.1f}" stroke="{INK}" '
                'stroke-width="2" stroke-dasharray="3 2"/>'
            )
        if row.median is not None:
            parts.append(
                f'<circle cx="{x_at(row.median):.1f}" cy="{middle:.1f}" r="6" fill="white" stroke="{INK}" '
                'stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{label_width + room + 14:.1f}" y="{middle + 5:.1f}" fill="{INK}" '
            f'font-size="12">{_e(text)}</text>'
        )
        y += h
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    for tick in ticks:
        tx = x_at(tick)
        parts.append(f'<line x1="{tx:.1f}" y1="6" x2="{tx:.1f}" y2="{y + 4:.1f}" stroke="#b1b4b6" stroke-width="1"/>')
        parts.append(
            f'<text x="{tx:.1f}" y="{y + 20:.1f}" fill="{MID}" font-size="12" text-anchor="middle">'
            f"{_e(tick_text(tick, step, x_prefix))}</text>"
        )
    parts.append(f'<line x1="{x_at(low):.1f}" y1="{y + 4:.1f}" x2="{x_at(high):.1f}" y2="{y + 4:.1f}" stroke="{INK}"/>')
    parts.append(
        f'<text x="{label_width:.1f}" y="{height - 12:.1f}" fill="{MID}" font-size="12">Key: line, lower to upper '
        f"quartile; circle, median; dashed tick, {_e(marker_name)}</text>"
    )
    return _close(parts)
