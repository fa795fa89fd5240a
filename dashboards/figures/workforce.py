"""Completeness, the agency share of the workforce, pay rates against caps and monthly spend. See the package's
docstring for the counting conventions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import (
    Count,
    Q,
    Sum,
)

from boroughs.models import SubRegion
from dashboards.cache import once_within
from pledge_portal.core.rows import plain_rows
from rates.models import EngagementType, RoleCategory
from rates.table import rate_table
from returns.models import ReportingPeriod, ReportingUnit
from returns.selectors import completeness_for

from .scope import BASIS_LABELS, PENNY, Scope, accepted_returns, accepted_rows, quarter_label

# --- Completeness ---------------------------------------------------------------------------------------


@dataclass
class CompletenessLine:
    unit: str
    status: str
    late: bool
    borough_ids: list[int]


def completeness(
    period: ReportingPeriod, *, today: date, sub_region: SubRegion | None = None
) -> list[CompletenessLine]:
    """Each reporting unit's return status for one period (every status, not only accepted). Two queries."""
    lines = []
    for s in completeness_for(period, today=today):
        boroughs = list(s.unit.boroughs.all())
        if sub_region is not None and not any(b.sub_region_id == sub_region.pk for b in boroughs):
            continue
        lines.append(CompletenessLine(s.unit.name, s.status_label, s.late, [b.pk for b in boroughs]))
    return lines


# --- Agency share of the workforce ----------------------------------------------------------------------


def _fte(value) -> Decimal:
    """Sums come back as the database computes them (SQLite drops trailing zeros): always two places."""
    return Decimal(value).quantize(PENNY)


def _share(agency: Decimal, permanent: Decimal) -> Decimal | None:
    total = agency + permanent
    if not total:
        return None
    return (agency / total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class ShareLine:
    label: str  # the reporting unit's name, or the quarter
    agency_fte: Decimal
    permanent_fte: Decimal
    share: Decimal | None  # percent, one decimal place
    borough_ids: list[int] | None = None  # the unit's boroughs (for drill-down links)


class ReturnSums(NamedTuple):
    """One accepted return in scope, as the share, spend and coverage figures read it."""

    quarter: date
    unit_id: int
    lines: int  # its workforce lines (of the scope's role, when it has one)
    agency_fte: Decimal  # summed over those lines (blank figures count as 0)
    permanent_fte: Decimal
    spend: tuple[Decimal | None, Decimal | None, Decimal | None]  # the quarter's three months, as reported


def return_sums(scope: Scope) -> list[ReturnSums]:
    """Every accepted return in scope with its workforce lines summed and its spend: one query, which the
    share, spend and coverage figures of a page share (``cache.once``) instead of one query each."""
    role = Q(workforce__role=scope.role) if scope.role is not None else Q()
    sums = (
        accepted_returns(scope)
        .values_list(
            "pk",
            "period__starts_on",
            "unit_id",
            "agency_spend_month_1",
            "agency_spend_month_2",
            "agency_spend_month_3",
        )
        .annotate(
            lines=Count("workforce", filter=role),
            agency=Sum("workforce__agency_fte", filter=role),
            permanent=Sum("workforce__permanent_fte", filter=role),
        )
        .order_by()
    )
    return [
        ReturnSums(quarter, unit_id, lines, agency or Decimal(0), permanent or Decimal(0), (m1, m2, m3))
        for _, quarter, unit_id, m1, m2, m3, lines, agency, permanent in plain_rows(sums)
    ]


def shared_return_sums(scope: Scope) -> list[ReturnSums]:
    """``return_sums(scope)``, queried once per request (and not at all for a scope within the page's)."""
    return once_within(return_sums, scope, in_scope)


def in_scope(line, scope: Scope) -> bool:
    """Whether a line of a quarter and a unit (``ReturnSums``, ``aggregated.borough_quarter_sums``'s) is in
    ``scope``, given that it is in a scope that ``scope`` is within."""
    return scope.start <= line[0] <= scope.end and (scope.units is None or line[1] in scope.units)


def _shares(by: dict) -> dict:
    """(agency FTE, permanent FTE) summed per key of ``by`` (key -> returns with workforce lines)."""
    return {
        key: (sum((r.agency_fte for r in returns), Decimal(0)), sum((r.permanent_fte for r in returns), Decimal(0)))
        for key, returns in by.items()
    }


def agency_share_by_unit(scope: Scope) -> list[ShareLine]:
    """Agency FTE / (agency + permanent FTE) per reporting unit, summed over the quarters in scope (so a
    ratio of totals). Workforce figures are reported per return, so a joint return is one line. 3 queries
    (one shared with the page's other share, spend and coverage figures)."""
    by_unit = defaultdict(list)
    for r in shared_return_sums(scope):
        if r.lines:
            by_unit[r.unit_id].append(r)
    sums = _shares(by_unit)
    named = ReportingUnit.objects.filter(pk__in=list(sums)).order_by("name", "pk").values_list("pk", "name")
    members = defaultdict(list)
    through = ReportingUnit.boroughs.through.objects.filter(reportingunit_id__in=list(sums))
    for unit_id, borough_id in through.values_list("reportingunit_id", "borough_id").order_by("borough_id"):
        members[unit_id].append(borough_id)
    return [ShareLine(name, _fte(sums[pk][0]), _fte(sums[pk][1]), _share(*sums[pk]), members[pk]) for pk, name in named]


def agency_share_over_time(scope: Scope) -> list[ShareLine]:
    """The same share for all units in scope together, per quarter. One query (shared)."""
    by_quarter = defaultdict(list)
    for r in shared_return_sums(scope):
        if r.lines:
            by_quarter[r.quarter].append(r)
    sums = _shares(by_quarter)
    return [
        ShareLine(quarter_label(quarter), _fte(sums[quarter][0]), _fte(sums[quarter][1]), _share(*sums[quarter]))
        for quarter in sorted(sums)
    ]


# --- Pay rates against caps -----------------------------------------------------------------------------


QUARTILES = (0.25, 0.5, 0.75)  # lower quartile, median, upper quartile
# (core role id, cap basis) -> (rows, lower quartile, median, upper quartile)
Quartiles = dict[tuple[int, str], tuple[int, Decimal, Decimal, Decimal]]


def quantile_positions(n: int, p: float) -> tuple[int, int, Decimal]:
    """Where the p-quantile of ``n`` sorted values lies, by the "inclusive" method of ``statistics.quantiles``:
    the indexes (from 0) of the values either side of position p * (n - 1), and how far it is between them."""
    position = Decimal(str(p)) * (n - 1)
    below = int(position)
    return below, min(below + 1, n - 1), position - below


def interpolated(low: Decimal, high: Decimal, fraction: Decimal) -> Decimal:
    return (low + (high - low) * fraction).quantize(PENNY, rounding=ROUND_HALF_UP)


def _quantile(counts: list[tuple[Decimal, int]], p: float) -> Decimal:
    """The p-quantile of sorted (value, count) pairs (``quantile_positions``)."""
    below, above, fraction = quantile_positions(sum(c for _, c in counts), p)

    def value_at(index: int) -> Decimal:
        seen = 0
        for value, count in counts:
            seen += count
            if index < seen:
                return value
        return counts[-1][0]

    return interpolated(value_at(below), value_at(above), fraction)


@dataclass
class PayLine:
    role: str
    basis: str  # "inclusive" or "paye"
    rows: int
    lower_quartile: Decimal
    median: Decimal
    upper_quartile: Decimal
    cap: Decimal | None  # the core role's cap on the card in force on ``cap_on``
    cap_on: date

    @property
    def label(self) -> str:
        return f"{self.role} ({BASIS_LABELS[self.basis]})"


def pay_rates_by_role(scope: Scope) -> list[PayLine]:
    """Median and quartiles of hourly pay rates per core role and cap basis, with the cap in force on the
    first day of the last quarter in scope (for a scope without a region, the region of most rows). Two
    queries (plus the rate table's fingerprint)."""
    # Counted by the row's own columns, so the database groups plain values; local roles are folded into
    # their core types here, from the rate table's local roles (a join and COALESCE per row cost more).
    table = rate_table()
    core_of = {local.pk: local.core_id for local in table.local_by_key.values()}
    table_rows = (
        accepted_rows(scope)
        .filter(hourly_pay_rate__isnull=False)
        .exclude(engagement_type="")
        .values_list("role_id", "local_role_id", "engagement_type", "hourly_pay_rate")
        .annotate(n=Count("pk"))
        .order_by()
    )
    folded: dict[tuple[int, str], dict[Decimal, int]] = defaultdict(lambda: defaultdict(int))
    for role_id, local_id, engagement, rate, n in table_rows:
        core = core_of.get(local_id, role_id) if local_id else role_id
        if core is None:
            continue
        folded[(core, "paye" if engagement == EngagementType.PAYE else "inclusive")][rate] += n
    return pay_lines(scope, folded)


def pay_lines(scope: Scope, folded: dict[tuple[int, str], dict[Decimal, int]]) -> list[PayLine]:
    """The pay lines of a frequency table: (core role id, cap basis) -> {hourly rate: rows}. One query."""
    quartiles = {}
    for key, by_rate in folded.items():
        counts = sorted(by_rate.items())
        quartiles[key] = (sum(c for _, c in counts), *(_quantile(counts, p) for p in QUARTILES))
    return quartile_lines(scope, quartiles)


def quartile_lines(scope: Scope, quartiles: Quartiles) -> list[PayLine]:
    """The pay lines of each role and basis's rows and quartiles, in the roles' order, each with its cap. One
    query."""
    table = rate_table()
    roles = {r.pk: r for r in RoleCategory.objects.all()}
    region_id = scope.region.pk if scope.region else (scope.borough.region_id if scope.borough else None)
    entry = table.card_on(region_id, scope.end) if region_id else None
    lines = []
    for (role_id, kind), (rows, lower, median, upper) in sorted(
        quartiles.items(), key=lambda item: (roles[item[0][0]].order, item[0][1])
    ):
        caps = entry.lines.get((role_id, None)) if entry else None
        cap = None if caps is None else (caps[0] if kind == "inclusive" else caps[1])
        lines.append(
            PayLine(
                role=roles[role_id].name,
                basis=kind,
                rows=rows,
                lower_quartile=lower,
                median=median,
                upper_quartile=upper,
                cap=cap,
                cap_on=scope.end,
            )
        )
    return lines


# --- Spend ----------------------------------------------------------------------------------------------


@dataclass
class SpendLine:
    month: date
    spend: Decimal
    returns: int  # accepted returns that reported the month

    @property
    def label(self) -> str:
        return f"{self.month:%b %Y}"


def monthly_spend(scope: Scope) -> list[SpendLine]:
    """Agency spend per month, summed over the accepted returns in scope (spend is reported per return,
    not per role, so the role filter does not apply). One query (shared)."""
    by_quarter = defaultdict(list)
    for r in shared_return_sums(scope):
        by_quarter[r.quarter].append(r)
    lines = []
    for first in sorted(by_quarter):
        for i in range(3):
            month = first.month + i
            day = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            reported = [r.spend[i] for r in by_quarter[first] if r.spend[i] is not None]
            if reported:
                lines.append(SpendLine(day, sum(reported, Decimal(0)).quantize(PENNY), len(reported)))
    return lines
