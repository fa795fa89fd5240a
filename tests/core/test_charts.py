"""The SVG chart module: accessible names, escaped labels, round axes and nothing drawn outside the plot."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from pledge_portal.core import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_a_bar_chart_is_an_image_named_by_its_title_and_description():
    svg = charts.bar_chart(chart_id="c1", title="Rows by borough", desc="Rows per borough.", bars=[charts.Bar("A", 3)])
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Rows by borough"
    assert root.find(f"{SVG}desc").text == "Rows per borough."


def test_labels_are_escaped():
    evil = '<script>alert("x")</script> & Co'
    svg = str(charts.bar_chart(chart_id="c", title=evil, desc=evil, bars=[charts.Bar(evil, 1, evil)]))
    assert "<script>" not in svg
    root = _parse(svg)  # well-formed, so every label was escaped
    assert evil in _texts(root)


def test_bar_values_are_written_beside_the_bars_and_long_labels_wrap():
    long = "Cool-off (started within it, or leaving date missing)"
    root = _parse(charts.bar_chart(chart_id="c", title="t", desc="d", bars=[charts.Bar(long, 4), charts.Bar("B", 0)]))
    texts = _texts(root)
    assert "4" in texts and "0" in texts
    spans = [t.text for t in root.iter(f"{SVG}tspan")]
    assert " ".join(spans[:2]) == long  # two lines, nothing lost
    width = float(root.get("width"))
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.get("x")) + float(rect.get("width")) <= width


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 11.1, [0, 5, 10, 15]),
        (0, 3, [0, 1, 2, 3]),
        (0, 117000, [0, 50000, 100000, 150000]),
        (0, 0.4, [0, 0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_axes_have_round_ticks_that_cover_the_values(low, high, expected):
    assert charts.nice_ticks(low, high) == pytest.approx(expected)


def test_counts_have_whole_ticks():
    assert charts.nice_ticks(0, 1, whole=True) == [0, 1]
    assert charts.nice_ticks(0, 7, whole=True) == [0, 2, 4, 6, 8]


def test_tick_labels_have_thousands_separators_and_units():
    assert charts.tick_text(150000, 50000, "£") == "£150,000"
    assert charts.tick_text(2.5, 2.5, suffix="%") == "2.5%"


def test_every_point_of_a_line_lies_inside_the_plot():
    svg = charts.line_chart(
        chart_id="c",
        title="t",
        desc="d",
        x_labels=["2026-27 Q1", "2026-27 Q2", "2026-27 Q3"],
        series=[charts.Series("Share", [Decimal("11.1"), None, Decimal("4.2")]), charts.Series("Other", [1, 2, 3])],
        y_suffix="%",
    )
    root = _parse(svg)
    axis_top = min(float(line.get("y1")) for line in root.iter(f"{SVG}line") if line.get("stroke") == charts.LIGHT)
    for polyline in root.iter(f"{SVG}polyline"):
        ys = [float(p.split(",")[1]) for p in polyline.get("points").split()]
        assert min(ys) >= axis_top
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    assert {"Share", "Other"} <= set(_texts(root))  # named in the key
    assert "15%" in _texts(root)


def test_many_quarters_write_only_some_x_labels():
    labels = [f"Q{i}" for i in range(40)]
    root = _parse(
        charts.line_chart(chart_id="c", title="t", desc="d", x_labels=labels, series=[charts.Series("s", range(40))])
    )
    written = [t for t in _texts(root) if re.fullmatch(r"Q\d+", t)]
    assert 5 <= len(written) < 40
    assert written[-1] == "Q39"


def test_a_chart_with_no_figures_says_so():
    for svg in (
        charts.bar_chart(chart_id="c", title="t", desc="d", bars=[]),
        charts.line_chart(chart_id="c", title="t", desc="d", x_labels=[], series=[]),
        charts.range_chart(chart_id="c", title="t", desc="d", rows=[charts.Spread("a", None, None, None)]),
    ):
        assert "No figures to show" in _texts(_parse(svg))


def test_a_range_chart_names_the_median_and_the_cap_on_an_axis_of_round_values():
    root = _parse(
        charts.range_chart(
            chart_id="c",
            title="t",
            desc="d",
            rows=[
                charts.Spread("Social worker", Decimal("34.50"), Decimal("35.80"), Decimal("38.20"), Decimal("36.40"))
            ],
            x_prefix="£",
        )
    )
    assert "median 35.80, cap 36.40" in _texts(root)
    # Every value from £34.50 to £38.20 sits on the axis.
    assert [t for t in _texts(root) if t.startswith("£")] == ["£34", "£35", "£36", "£37", "£38", "£39"]
    assert len(list(root.iter(f"{SVG}circle"))) == 1
