"""Completeness, the agency share of the workforce, pay rates against caps and monthly spend. See the package's
docstring for the counting conventions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from boroughs.models import SubRegion
from rates.models import EngagementType, RoleCategory
from rates.table import rate_table
from returns.models import ReportingPeriod, ReportingUnit, WorkforceLine
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


def _workforce(scope: Scope) -> QuerySet[WorkforceLine]:
    qs = WorkforceLine.objects.filter(ret__in=accepted_returns(scope))
    if scope.role is not None:
        qs = qs.filter(role=scope.role)
    return qs.order_by()


def agency_share_by_unit(scope: Scope) -> list[ShareLine]:
    """Agency FTE / (agency + permanent FTE) per reporting unit, summed over the quarters in scope (so a
    ratio of totals). Workforce figures are reported per return, so a joint return is one line. 3 queries."""
    # Grouped by the unit's id, then named in the database's order: grouping by the joined name sorts every line.
    sums = {
        s["ret__unit_id"]: s
        for s in _workforce(scope)
        .values("ret__unit_id")
        .annotate(agency=Coalesce(Sum("agency_fte"), Decimal(0)), permanent=Coalesce(Sum("permanent_fte"), Decimal(0)))
    }
    named = ReportingUnit.objects.filter(pk__in=list(sums)).order_by("name", "pk").values_list("pk", "name")
    sums = [{**sums[pk], "ret__unit__name": name} for pk, name in named]
    members = defaultdict(list)
    through = ReportingUnit.boroughs.through.objects.filter(reportingunit_id__in=[s["ret__unit_id"] for s in sums])
    for unit_id, borough_id in through.values_list("reportingunit_id", "borough_id").order_by("borough_id"):
        members[unit_id].append(borough_id)
    return [
        ShareLine(
            s["ret__unit__name"],
            _fte(s["agency"]),
            _fte(s["permanent"]),
            _share(s["agency"], s["permanent"]),
            members[s["ret__unit_id"]],
        )
        for s in sums
    ]


def agency_share_over_time(scope: Scope) -> list[ShareLine]:
    """The same share for all units in scope together, per quarter. One query."""
    sums = (
        _workforce(scope)
        .values("ret__period__starts_on")
        .annotate(agency=Coalesce(Sum("agency_fte"), Decimal(0)), permanent=Coalesce(Sum("permanent_fte"), Decimal(0)))
        .order_by("ret__period__starts_on")
    )
    return [
        ShareLine(
            quarter_label(s["ret__period__starts_on"]),
            _fte(s["agency"]),
            _fte(s["permanent"]),
            _share(s["agency"], s["permanent"]),
        )
        for s in sums
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
    not per role, so the role filter does not apply). One query."""
    sums = (
        accepted_returns(scope)
        .values("period__starts_on")
        .annotate(
            m1=Sum("agency_spend_month_1"),
            m2=Sum("agency_spend_month_2"),
            m3=Sum("agency_spend_month_3"),
            n1=Count("pk", filter=Q(agency_spend_month_1__isnull=False)),
            n2=Count("pk", filter=Q(agency_spend_month_2__isnull=False)),
            n3=Count("pk", filter=Q(agency_spend_month_3__isnull=False)),
        )
        .order_by("period__starts_on")
    )
    lines = []
    for s in sums:
        first = s["period__starts_on"]
        for i in range(3):
            month = first.month + i
            day = date(first.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
            if s[f"n{i + 1}"]:
                lines.append(SpendLine(day, Decimal(s[f"m{i + 1}"]).quantize(PENNY), s[f"n{i + 1}"]))
    return lines
