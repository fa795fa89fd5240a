"""Coverage: how many of the reporting units expected to report each quarter a figure is built from, and
quarters compared on the units present in both. See the package's docstring for the counting conventions.

A unit is *expected* when one of its boroughs signed the Pledge (``returns.selectors.completeness_for`` says
the same per period; the City of London may report, but need not). A quarter's figures are *built from* the
expected units with an accepted return for it in scope. A quarter is *full* when every expected unit is in;
below that a trend moves because coverage moved, so every trend carries its coverage, and a comparison
between two quarters is made on the units present in both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from pledge_portal.core.tables import Column, Table
from returns.models import ReportingPeriod, ReportingUnit

from .scope import Scope, _units, accepted_returns, quarter_label, quarter_start, shift_quarters
from .workforce import shared_return_sums


@dataclass(frozen=True)
class Coverage:
    quarter: date
    expected: frozenset[int]  # ids of the units expected to report
    reporting: frozenset[int]  # ids of the units with an accepted return in scope (expected or not)

    @property
    def label(self) -> str:
        return quarter_label(self.quarter)

    @property
    def built_from(self) -> int:
        return len(self.expected & self.reporting)

    @property
    def optional(self) -> int:
        """Units not expected to report that did (the City of London)."""
        return len(self.reporting - self.expected)

    @property
    def full(self) -> bool:
        return self.expected <= self.reporting

    @property
    def text(self) -> str:
        """“12 of 32 units”, and any optional unit that reported as well."""
        text = f"{self.built_from} of {len(self.expected)} unit{'s' if len(self.expected) != 1 else ''}"
        if self.optional:
            text += f" (and {self.optional} optional)"
        return text


def _scoped_units(scope: Scope):
    units = ReportingUnit.objects.filter(pk__in=_units(scope))
    if scope.region is not None:
        units = units.filter(region=scope.region)
    if scope.units is not None:
        units = units.filter(pk__in=scope.units)
    return units


def coverage_by_quarter(scope: Scope) -> list[Coverage]:
    """Each quarter in scope that has a reporting period: the units expected to report and those whose
    accepted return the figures read. For a scope without a region (an agency's), the expected units of
    every region with a period for the quarter. Three queries."""
    periods = ReportingPeriod.objects.filter(starts_on__gte=scope.start, starts_on__lte=scope.end)
    if scope.region is not None:
        periods = periods.filter(region=scope.region)
    regions_of: dict[date, set[int]] = defaultdict(set)
    for region_id, starts_on in periods.values_list("region_id", "starts_on"):
        regions_of[starts_on].add(region_id)
    expected_in: dict[int, set[int]] = defaultdict(set)
    for unit_id, region_id in (
        _scoped_units(scope)
        .filter(boroughs__pledge_signatory=True)
        .order_by()  # not by name, which the DISTINCT would then sort by
        .values_list("pk", "region_id")
        .distinct()
    ):
        expected_in[region_id].add(unit_id)
    if scope.agency is None:  # the page's share and spend figures read the same query
        pairs = ((r.quarter, r.unit_id) for r in shared_return_sums(scope))
    else:  # an agency's pages show no workforce or spend, and span every region: the pairs alone
        pairs = accepted_returns(scope).order_by().values_list("period__starts_on", "unit_id").distinct()
    reporting: dict[date, set[int]] = defaultdict(set)
    for quarter, unit_id in pairs:
        reporting[quarter].add(unit_id)
    return [
        Coverage(
            quarter,
            frozenset(u for region_id in regions_of[quarter] for u in expected_in[region_id]),
            frozenset(reporting[quarter]),
        )
        for quarter in sorted(regions_of)
    ]


def partial_note(lines: list[Coverage]) -> str:
    """What a chart's marker means, naming the quarters below full coverage (blank when none is)."""
    partial = [c for c in lines if not c.full]
    if not partial:
        return ""
    named = "; ".join(f"{c.label}, {c.text}" for c in partial)
    return f"Quarters marked * are built from fewer than all the units expected to report: {named}."


def marked(label: str, coverage: Coverage | None) -> str:
    """A quarter's label on a chart, with * when it is below full coverage."""
    return f"{label} *" if coverage is not None and not coverage.full else label


# --- Two quarters compared on the units present in both -------------------------------------------------


@dataclass
class Headline:
    """A quarter's headline figures on a set of units."""

    rows: int = 0
    breaches: int = 0
    without_sign_off: int = 0
    share: Decimal | None = None  # agency share of the workforce, percent
    spend: Decimal | None = None  # agency spend over the quarter's months reported
    cool_off: int = 0
    low_pqe: int = 0


HEADLINE_MEASURES = [
    ("rows", "Assignments (rows)", "count"),
    ("breaches", "Rows over the cap", "count"),
    ("without_sign_off", "Rows over the cap without sign-off", "count"),
    ("share", "Agency share of the workforce", "percent"),
    ("spend", "Agency spend", "money"),
    ("cool_off", "Rows flagged for the cool-off", "count"),
    ("low_pqe", "Rows under 3 years' PQE", "count"),
]


def headlines(scope: Scope, *, source=None) -> dict[date, Headline]:
    """The headline figures of each quarter in scope, by its first day. Four queries. ``source`` is where the
    breaches and flags are counted: the rows (``figures.compliance``, the default) or the per-return
    aggregates (``figures.aggregated``)."""
    from . import compliance
    from .workforce import agency_share_over_time, monthly_spend

    breaches_over_time = (source or compliance).breaches_over_time
    flags_over_time = (source or compliance).flags_over_time

    quarters: dict[str, date] = {}
    day = scope.start
    while day <= scope.end:
        quarters[quarter_label(day)] = day
        day = shift_quarters(day, 1)
    found: dict[date, Headline] = defaultdict(Headline)
    for line in breaches_over_time(scope):
        figures = found[quarters[line.label]]
        figures.rows, figures.breaches, figures.without_sign_off = line.rows, line.breaches, line.without_sign_off
    for line in agency_share_over_time(scope):
        found[quarters[line.label]].share = line.share
    for line in monthly_spend(scope):
        figures = found[quarter_start(line.month)]
        figures.spend = (figures.spend or Decimal(0)) + line.spend
    for line in flags_over_time(scope):
        figures = found[quarters[line.label]]
        figures.cool_off, figures.low_pqe = line.cool_off, line.low_pqe
    return dict(found)


@dataclass
class QuarterComparison:
    current: Coverage
    other: Coverage
    common: frozenset[int]  # units with an accepted return in both quarters
    now: Headline  # the current quarter on the common units
    then: Headline  # the other quarter on the same units

    @property
    def like_for_like(self) -> bool:
        """Whether the common units are every unit that reported in either quarter."""
        return self.common == self.current.reporting == self.other.reporting

    @property
    def basis(self) -> str:
        """How the comparison was made, in words."""
        if not self.common:
            return (
                f"No unit has an accepted return for both {self.other.label} and {self.current.label}, so the two "
                "quarters are not compared."
            )
        units = f"{len(self.common)} unit{'s' if len(self.common) != 1 else ''}"
        if self.like_for_like:
            return f"Compared on the same {units}, which reported in both {self.other.label} and {self.current.label}."
        return (
            f"Compared on the {units} with an accepted return for both {self.other.label} ({self.other.text}) and "
            f"{self.current.label} ({self.current.text}); units that reported in only one are left out of both."
        )


def compare_quarters(scope: Scope, other: date, *, source=None) -> QuarterComparison:
    """The quarter ``scope.start`` against the earlier quarter starting on ``other`` (the previous one, or
    the same one a year before), both counted on the units with an accepted return for both. Seven
    queries."""
    both = replace(scope, start=other, end=scope.start)
    coverage = {c.quarter: c for c in coverage_by_quarter(replace(both, units=None))}
    current = coverage.get(scope.start) or Coverage(scope.start, frozenset(), frozenset())
    before = coverage.get(other) or Coverage(other, frozenset(), frozenset())
    common = current.reporting & before.reporting
    if scope.units is not None:
        common &= scope.units
    if not common:
        return QuarterComparison(current, before, common, Headline(), Headline())
    found = headlines(replace(both, units=common), source=source)
    return QuarterComparison(current, before, common, found.get(scope.start, Headline()), found.get(other, Headline()))


def previous_quarter(start: date) -> date:
    return shift_quarters(start, -1)


def year_before(start: date) -> date:
    return shift_quarters(start, -4)


def coverage_table(lines: list[Coverage], *, title: str = "Reporting units each quarter is built from") -> Table:
    """The coverage of each quarter, as the pages, CSVs and the pack show it."""
    return Table(
        title,
        [
            Column("Quarter"),
            Column("Units expected", "count"),
            Column("Units built from", "count"),
            Column("Coverage"),
            Column("Full coverage", "yesno"),
        ],
        [[c.label, len(c.expected), c.built_from, c.text, c.full] for c in lines],
        note="Expected: units with at least one borough that signed the Pledge. Built from: those with an accepted "
        "return for the quarter. Below full coverage, a change between quarters may be a change in who reported.",
        empty="No reporting period in the quarters chosen.",
        sheet="Coverage by quarter",
    )


def comparison_table(comparisons: list[QuarterComparison], *, title: str, sheet: str = "") -> Table:
    """One quarter against others (the previous quarter, the same quarter a year before), each on the units
    present in both, with how each comparison was made. Each row holds its own kind of figure (a count, a
    percentage, money), so the cells are written as text."""
    compared = [c for c in comparisons if c.common]
    columns = [Column("Measure")]
    for c in compared:
        columns += [Column(c.other.label), Column(f"{c.current.label} (same units)"), Column("Change")]
    rows = []
    if compared:
        for attr, label, kind in HEADLINE_MEASURES:
            row = [label]
            for c in compared:
                then, now = getattr(c.then, attr), getattr(c.now, attr)
                change = None if now is None or then is None else now - then
                row += [_display(kind, then), _display(kind, now), _display(kind, change, change=True)]
            rows.append(row)
    basis = " ".join(c.basis for c in comparisons)
    return Table(title, columns, rows, note=basis, empty=basis, sheet=sheet)


def _display(kind: str, value, *, change: bool = False) -> str:
    if value is None:
        return "no figure"
    if not change:
        return Column("", kind).display(value)
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    if kind == "percent":
        return f"{sign}{abs(value)} points"
    return sign + Column("", kind).display(abs(value))
