"""The dashboards' figures (DESIGN.md section 6): one set of selectors, used by the dashboard pages, their CSV
downloads and the compliance pack.

Every figure reads **accepted** returns only, chosen by a ``Scope`` (a range of quarters, and optionally a
region, sub-region, borough, agency and core role). The caller decides the scope from what the user may
see (``returns.dashboard_views`` resolves the region, borough or agency through the scoping selectors);
nothing here checks permissions.

Each function returns plain data (lists of dataclasses) and costs a fixed number of queries, whatever the
number of boroughs, agencies or rows: sums and counts are grouped in the database, and quartiles are read
from a frequency table of distinct rates (a few hundred rows, not one per assignment).

Counting conventions, so a reader can check any number by hand:

* A return lists every assignment active in its quarter, so an assignment that runs for three quarters is
  three rows. Counts of "assignments" over a range of quarters are counts of rows (assignment-quarters).
* A row counts under its local role's core type when it has a local role, otherwise under its role.
* A breach is a row whose hourly pay rate is above the cap that ``rates.selectors.check_rate`` would give:
  the card of the return's region in force on the row's start date, the local role's line if the card has
  one, else the core role's line, the inclusive cap for umbrella and limited-company engagements and the
  PAYE cap for PAYE. The caps are written into the query as one CASE expression built from the in-process
  rate table, so breaches are counted in the database.
* Flags (cool-off, PQE under 3 years, overlapping assignments) are the findings of the **latest finished
  validation run** of each accepted return: the rules already decide them across boroughs (COOL-001 needs
  the cool-off months of the period, CROSS-001 other boroughs' rows), and recomputing them here would be a
  second, drifting copy of the rules. A row counts once per flag, however many findings it has.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from boroughs.models import Borough, Region, SubRegion
from pledge_portal.core.working_days import working_days_between
from rates.models import INCLUSIVE_ENGAGEMENTS, EngagementType, RoleCategory
from rates.table import rate_table

from .models import Assignment, Finding, ReportingPeriod, ReportingUnit, Return, ValidationRun, WorkforceLine
from .selectors import completeness_for

SMALL_COUNT = 5  # counts about other boroughs below this (but above 0) are shown as "fewer than 5"
FLAGS = {
    "cool_off": ("COOL-001", "COOL-002"),
    "low_pqe": ("PQE-001",),
    "overlap": ("DUP-001", "CROSS-001"),
}
FLAG_LABELS = {
    "cool_off": "Cool-off (started within it, or leaving date missing)",
    "low_pqe": "Under 3 years' post-qualifying experience",
    "overlap": "Overlapping assignments (same borough or another)",
}
BASIS_LABELS = {"inclusive": "Umbrella and limited company", "paye": "PAYE"}
PENNY = Decimal("0.01")


@dataclass(frozen=True)
class Scope:
    """Which accepted returns a figure reads: quarters starting from ``start`` to ``end`` (first days)."""

    start: date
    end: date
    region: Region | None = None
    sub_region: SubRegion | None = None
    borough: Borough | None = None
    agency: object | None = None  # agencies.Agency
    role: RoleCategory | None = None


def suppressed(count: int | None) -> str:
    """A count about other boroughs as it may be shown: small counts are hidden, so no one borough's
    figure can be worked out from an aggregate."""
    if count is None:
        return "no figure"
    if 0 < count < SMALL_COUNT:
        return f"fewer than {SMALL_COUNT}"
    return str(count)


# --- What a scope selects ------------------------------------------------------------------------------


def accepted_returns(scope: Scope) -> QuerySet[Return]:
    qs = Return.objects.filter(
        status=Return.Status.ACCEPTED, period__starts_on__gte=scope.start, period__starts_on__lte=scope.end
    )
    if scope.region is not None:
        qs = qs.filter(period__region=scope.region)
    if scope.sub_region is not None or scope.borough is not None:
        qs = qs.filter(unit__in=_units(scope))
    return qs


def _units(scope: Scope) -> QuerySet[ReportingUnit]:
    units = ReportingUnit.objects.all()
    if scope.sub_region is not None:
        units = units.filter(boroughs__sub_region=scope.sub_region)
    if scope.borough is not None:
        units = units.filter(boroughs=scope.borough)
    return units.values("pk")


def accepted_rows(scope: Scope) -> QuerySet[Assignment]:
    """The rows of accepted returns in scope, each annotated with ``core_role`` (its core type's id)."""
    qs = Assignment.objects.filter(
        ret__status=Return.Status.ACCEPTED,
        ret__period__starts_on__gte=scope.start,
        ret__period__starts_on__lte=scope.end,
    ).annotate(core_role=Coalesce("local_role__core_id", "role_id"))
    if scope.region is not None:
        qs = qs.filter(ret__period__region=scope.region)
    if scope.sub_region is not None:
        qs = qs.filter(borough__sub_region=scope.sub_region)
    if scope.borough is not None:
        qs = qs.filter(borough=scope.borough)
    if scope.agency is not None:
        qs = qs.filter(agency=scope.agency)
    if scope.role is not None:
        qs = qs.filter(core_role=scope.role.pk)
    return qs


def _cap_expression(region_ids) -> Case:
    """The cap ``check_rate`` would apply to each row, as SQL: per region, per card (newest first, the first
    covering the start date decides), the local role's line, else the core role's; PAYE or inclusive."""
    table = rate_table()
    inclusive = [str(e) for e in INCLUSIVE_ENGAGEMENTS]
    cards = []
    for region_id in sorted(region_ids):
        for entry in table.cards_by_region.get(region_id, ()):
            card = entry.card
            covers = Q(ret__period__region_id=region_id, start_date__gte=card.effective_from)
            if card.effective_to is not None:
                covers &= Q(start_date__lte=card.effective_to)
            lines = sorted(entry.lines.items(), key=lambda item: item[0][1] is None)  # local roles first
            whens = []
            for (role_id, local_id), (inclusive_cap, paye_cap) in lines:
                match = Q(local_role_id=local_id) if local_id else Q(core_role=role_id)
                whens.append(When(match & Q(engagement_type__in=inclusive), then=Value(inclusive_cap)))
                whens.append(When(match & Q(engagement_type=EngagementType.PAYE), then=Value(paye_cap)))
            if whens:
                cards.append(
                    When(covers, then=Case(*whens, default=Value(None), output_field=Assignment.hourly_pay_rate.field))
                )
    if not cards:
        return Value(None, output_field=Assignment.hourly_pay_rate.field)
    return Case(*cards, default=Value(None), output_field=Assignment.hourly_pay_rate.field)


def _region_ids(scope: Scope, rows: QuerySet[Assignment]) -> list[int]:
    if scope.region is not None:
        return [scope.region.pk]
    if scope.borough is not None:
        return [scope.borough.region_id]
    return list(rows.order_by().values_list("ret__period__region_id", flat=True).distinct())


def rows_with_caps(scope: Scope) -> QuerySet[Assignment]:
    """Rows in scope annotated with ``cap`` (None where no cap applies) and ``over`` (1 if above the cap)."""
    rows = accepted_rows(scope)
    cap = _cap_expression(_region_ids(scope, rows))
    return rows.annotate(cap=cap).annotate(
        over=Case(When(hourly_pay_rate__gt=F("cap"), then=Value(1)), default=Value(0), output_field=IntegerField())
    )


OVER = Q(over=1)
SIGNED = Q(over=1, breach_sign_off__isnull=False)


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
    ratio of totals). Workforce figures are reported per return, so a joint return is one line. 2 queries."""
    sums = (
        _workforce(scope)
        .values("ret__unit_id", "ret__unit__name")
        .annotate(agency=Coalesce(Sum("agency_fte"), Decimal(0)), permanent=Coalesce(Sum("permanent_fte"), Decimal(0)))
        .order_by("ret__unit__name")
    )
    sums = list(sums)
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


def quarter_label(starts_on: date) -> str:
    """Financial-year quarter, as ``ReportingPeriod.label`` names it, short: 2026-27 Q2."""
    quarter = (starts_on.month - 4) % 12 // 3 + 1
    year = starts_on.year if starts_on.month >= 4 else starts_on.year - 1
    return f"{year}-{str(year + 1)[2:]} Q{quarter}"


# --- Pay rates against caps -----------------------------------------------------------------------------


def _quantile(counts: list[tuple[Decimal, int]], p: float) -> Decimal:
    """The p-quantile of sorted (value, count) pairs, interpolating between the values either side of
    position p * (n - 1): the "inclusive" method of ``statistics.quantiles``."""
    n = sum(c for _, c in counts)
    position = Decimal(str(p)) * (n - 1)
    below = int(position)
    fraction = position - below

    def value_at(index: int) -> Decimal:
        seen = 0
        for value, count in counts:
            seen += count
            if index < seen:
                return value
        return counts[-1][0]

    low = value_at(below)
    high = value_at(min(below + 1, n - 1))
    return (low + (high - low) * fraction).quantize(PENNY, rounding=ROUND_HALF_UP)


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
    basis = Case(
        When(engagement_type=EngagementType.PAYE, then=Value("paye")),
        default=Value("inclusive"),
        output_field=CharField(),
    )
    table_rows = (
        accepted_rows(scope)
        .filter(hourly_pay_rate__isnull=False, core_role__isnull=False)
        .exclude(engagement_type="")
        .annotate(basis=basis)
        .values("core_role", "basis", "hourly_pay_rate")
        .annotate(n=Count("pk"))
        .order_by("core_role", "basis", "hourly_pay_rate")
    )
    grouped: dict[tuple[int, str], list[tuple[Decimal, int]]] = defaultdict(list)
    for r in table_rows:
        grouped[(r["core_role"], r["basis"])].append((r["hourly_pay_rate"], r["n"]))
    roles = {r.pk: r for r in RoleCategory.objects.all()}
    table = rate_table()
    region_id = scope.region.pk if scope.region else (scope.borough.region_id if scope.borough else None)
    entry = table.card_on(region_id, scope.end) if region_id else None
    lines = []
    for (role_id, kind), counts in sorted(grouped.items(), key=lambda item: (roles[item[0][0]].order, item[0][1])):
        caps = entry.lines.get((role_id, None)) if entry else None
        cap = None if caps is None else (caps[0] if kind == "inclusive" else caps[1])
        lines.append(
            PayLine(
                role=roles[role_id].name,
                basis=kind,
                rows=sum(c for _, c in counts),
                lower_quartile=_quantile(counts, 0.25),
                median=_quantile(counts, 0.5),
                upper_quartile=_quantile(counts, 0.75),
                cap=cap,
                cap_on=scope.end,
            )
        )
    return lines


# --- Breaches -------------------------------------------------------------------------------------------


@dataclass
class BreachLine:
    label: str  # borough (or quarter)
    rows: int
    breaches: int
    signed_off: int
    borough_id: int | None = None

    @property
    def without_sign_off(self) -> int:
        return self.breaches - self.signed_off


def breaches_by_borough(scope: Scope) -> list[BreachLine]:
    """Rows, rows over the cap, and those of them with a breach sign-off, per borough. Two queries."""
    grouped = (
        rows_with_caps(scope)
        .values("borough_id", "borough__name")
        .annotate(rows=Count("pk"), breaches=Count("pk", filter=OVER), signed=Count("pk", filter=SIGNED))
        .order_by("borough__name")
    )
    return [BreachLine(g["borough__name"], g["rows"], g["breaches"], g["signed"], g["borough_id"]) for g in grouped]


def breaches_over_time(scope: Scope) -> list[BreachLine]:
    grouped = (
        rows_with_caps(scope)
        .values("ret__period__starts_on")
        .annotate(rows=Count("pk"), breaches=Count("pk", filter=OVER), signed=Count("pk", filter=SIGNED))
        .order_by("ret__period__starts_on")
    )
    return [
        BreachLine(quarter_label(g["ret__period__starts_on"]), g["rows"], g["breaches"], g["signed"]) for g in grouped
    ]


# --- Flags ----------------------------------------------------------------------------------------------


@dataclass
class FlagLine:
    label: str
    cool_off: int = 0
    low_pqe: int = 0
    overlap: int = 0
    borough_id: int | None = None


def _latest_findings(scope: Scope, codes) -> QuerySet[Finding]:
    """Findings with these rule codes on accepted rows in scope, from the latest finished validation run of
    each return (the rules already decide the flags; see the module's docstring)."""
    latest = (
        ValidationRun.objects.filter(ret=OuterRef("ret"), finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .values("pk")[:1]
    )
    return Finding.objects.filter(
        rule_code__in=list(codes), assignment__in=accepted_rows(scope).values("pk"), run_id=Subquery(latest)
    )


def _flag_counts(scope: Scope, *group: str):
    kind = Case(
        *(When(rule_code__in=codes, then=Value(name)) for name, codes in FLAGS.items()), output_field=CharField()
    )
    return (
        _latest_findings(scope, [c for codes in FLAGS.values() for c in codes])
        .annotate(kind=kind)
        .values(*group, "kind")
        .annotate(n=Count("assignment", distinct=True))
    )


def flags_by_borough(scope: Scope) -> list[FlagLine]:
    """Rows flagged for cool-off, PQE under 3 years and overlapping assignments per borough, from the
    latest finished validation run of each accepted return. One query."""
    grouped = _flag_counts(scope, "assignment__borough_id", "assignment__borough__name").order_by(
        "assignment__borough__name"
    )
    lines: dict[int, FlagLine] = {}
    for g in grouped:
        line = lines.setdefault(
            g["assignment__borough_id"],
            FlagLine(g["assignment__borough__name"], borough_id=g["assignment__borough_id"]),
        )
        setattr(line, g["kind"], g["n"])
    return list(lines.values())


def flags_over_time(scope: Scope) -> list[FlagLine]:
    """The same flags for all boroughs in scope together, per quarter (quarters without flags left out).
    One query."""
    grouped = _flag_counts(scope, "assignment__ret__period__starts_on").order_by("assignment__ret__period__starts_on")
    lines: dict[date, FlagLine] = {}
    for g in grouped:
        quarter = g["assignment__ret__period__starts_on"]
        setattr(lines.setdefault(quarter, FlagLine(quarter_label(quarter))), g["kind"], g["n"])
    return list(lines.values())


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


# --- Agencies -------------------------------------------------------------------------------------------


@dataclass
class AgencyLine:
    agency_id: int | None
    name: str
    assignments: int
    breaches: int
    signed_off: int
    references_completed: int = 0
    median_turnaround: Decimal | None = None  # working days from request to completion


UNMATCHED = "Agencies not known to the portal"


def agencies_ranked(scope: Scope) -> list[AgencyLine]:
    """Agencies by rows in scope (most first), with their breaches and reference turnaround. Three queries."""
    grouped = (
        rows_with_caps(scope)
        .values("agency_id", "agency__name")
        .annotate(rows=Count("pk"), breaches=Count("pk", filter=OVER), signed=Count("pk", filter=SIGNED))
        .order_by()
    )
    lines = [
        AgencyLine(g["agency_id"], g["agency__name"] or UNMATCHED, g["rows"], g["breaches"], g["signed"])
        for g in grouped
    ]
    turnaround = reference_turnaround(scope)
    for line in lines:
        if line.agency_id in turnaround:
            line.references_completed, line.median_turnaround = turnaround[line.agency_id]
    return sorted(lines, key=lambda a: (-a.assignments, -a.breaches, a.name))


def reference_requests(scope: Scope):
    from references.models import ReferenceRequest

    qs = ReferenceRequest.objects.filter(requested_at__date__gte=scope.start, requested_at__date__lt=_after(scope.end))
    if scope.region is not None:
        qs = qs.filter(borough__region=scope.region)
    if scope.sub_region is not None:
        qs = qs.filter(borough__sub_region=scope.sub_region)
    if scope.borough is not None:
        qs = qs.filter(borough=scope.borough)
    if scope.agency is not None:
        qs = qs.filter(agency=scope.agency)
    return qs


def _after(quarter_start: date) -> date:
    month = quarter_start.month + 3
    return date(quarter_start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def reference_turnaround(scope: Scope, *, by: str = "agency") -> dict[int, tuple[int, Decimal]]:
    """Per agency (or per answering borough, ``by="borough"``): completed reference requests made in the
    quarters in scope, and the median working days (England bank holidays excluded) from request to
    completion. One query, grouped by day pair."""
    from references.models import ReferenceRequest

    key = {"agency": "agency_id", "borough": "borough_id"}[by]
    pairs = (
        reference_requests(scope)
        .filter(status=ReferenceRequest.Status.COMPLETED, closed_at__isnull=False)
        .annotate(asked=TruncDate("requested_at"), answered=TruncDate("closed_at"))
        .values(key, "asked", "answered")
        .annotate(n=Count("pk"))
        .order_by()
    )
    days: dict[int, list[int]] = defaultdict(list)
    for p in pairs:
        days[p[key]].extend([working_days_between(p["asked"], p["answered"])] * p["n"])
    return {
        owner_id: (len(values), Decimal(str(statistics.median(values))).quantize(Decimal("0.1")))
        for owner_id, values in days.items()
    }


# --- One borough against the others ---------------------------------------------------------------------


@dataclass
class Comparison:
    measure: str
    own: str
    sub_region: str
    region: str


def _median_text(values: list, *, count: bool) -> str:
    if len(values) < SMALL_COUNT:
        return f"fewer than {SMALL_COUNT} boroughs"
    middle = statistics.median(values)
    if count:
        return suppressed(int(Decimal(str(middle)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return str(Decimal(str(middle)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def borough_comparison(scope: Scope, borough: Borough) -> list[Comparison]:
    """The borough's own figures beside the median of its sub-region's boroughs and of its region's. Other
    boroughs appear only as medians, and only when at least 5 boroughs have the figure; median counts
    under 5 are shown as "fewer than 5". ``scope`` is the region-wide scope (no borough). Five queries."""
    region_scope = Scope(scope.start, scope.end, region=borough.region, role=scope.role)
    shares = agency_share_by_unit(region_scope)
    breaches = {b.borough_id: b for b in breaches_by_borough(region_scope)}
    flags = {f.borough_id: f for f in flags_by_borough(region_scope)}
    subs = dict(Borough.objects.filter(region=borough.region).values_list("pk", "sub_region_id"))
    reporting = set(breaches) | {b for s in shares for b in (s.borough_ids or [])}
    share_of = {b: s.share for s in shares for b in (s.borough_ids or []) if s.share is not None}

    def peers(same_sub: bool) -> list[int]:
        return [b for b in reporting if not same_sub or subs.get(b) == borough.sub_region_id]

    measures = [
        ("Agency share of the workforce (%)", lambda b: share_of.get(b), False),
        ("Assignments (rows)", lambda b: breaches[b].rows if b in breaches else 0, True),
        ("Rows over the cap", lambda b: breaches[b].breaches if b in breaches else 0, True),
        ("Rows over the cap without sign-off", lambda b: breaches[b].without_sign_off if b in breaches else 0, True),
    ] + [(FLAG_LABELS[name], lambda b, name=name: getattr(flags[b], name) if b in flags else 0, True) for name in FLAGS]
    result = []
    for label, value, count in measures:
        own = value(borough.pk)
        in_sub = [v for b in peers(True) if (v := value(b)) is not None] if borough.sub_region_id else []
        in_region = [v for b in peers(False) if (v := value(b)) is not None]
        result.append(
            Comparison(
                label,
                "no figure" if own is None else str(own),
                _median_text(in_sub, count=count) if borough.sub_region_id else "no sub-region",
                _median_text(in_region, count=count),
            )
        )
    return result


# --- An agency across boroughs --------------------------------------------------------------------------


@dataclass
class AgencyBoroughLine:
    borough: str
    region: str
    rows: int
    breaches: int
    signed_off: int


def agency_by_borough(scope: Scope) -> list[AgencyBoroughLine]:
    """One agency's rows per borough (``scope.agency`` set), with its breaches. Two queries."""
    grouped = (
        rows_with_caps(scope)
        .values("borough__name", "borough__region__name")
        .annotate(rows=Count("pk"), breaches=Count("pk", filter=OVER), signed=Count("pk", filter=SIGNED))
        .order_by("borough__region__name", "borough__name")
    )
    return [
        AgencyBoroughLine(g["borough__name"], g["borough__region__name"], g["rows"], g["breaches"], g["signed"])
        for g in grouped
    ]


@dataclass
class RequestLine:
    borough: str
    status: str
    requested: int
    median_turnaround: Decimal | None


def agency_reference_requests(scope: Scope) -> list[RequestLine]:
    """One agency's reference requests per borough and status, and the median working days to complete.
    One query."""
    from references.models import ReferenceRequest

    grouped = (
        reference_requests(scope)
        .annotate(asked=TruncDate("requested_at"), answered=TruncDate("closed_at"))
        .values("borough__name", "status", "asked", "answered")
        .annotate(n=Count("pk"))
        .order_by("borough__name", "status")
    )
    labels = dict(ReferenceRequest.Status.choices)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for g in grouped:
        key = (g["borough__name"], g["status"])
        counts[key] += g["n"]
        if g["status"] == ReferenceRequest.Status.COMPLETED and g["answered"] is not None:
            days[key].extend([working_days_between(g["asked"], g["answered"])] * g["n"])
    return [
        RequestLine(
            borough,
            labels.get(status, status),
            n,
            Decimal(str(statistics.median(days[(borough, status)]))).quantize(Decimal("0.1"))
            if days[(borough, status)]
            else None,
        )
        for (borough, status), n in sorted(counts.items())
    ]


# --- Submission, registers and scorecards (the compliance pack) -----------------------------------------


@dataclass
class SubmissionLine:
    unit: str
    borough_ids: list[int]
    status: str
    first_submitted: datetime | None  # the first submission: a return sent back and sent again keeps it
    on_time: bool | None  # None: not submitted (or no record of when)


def submission_timeliness(period: ReportingPeriod) -> list[SubmissionLine]:
    """Each reporting unit of the period's region: its return's status and whether it was first submitted
    by the deadline (UK date). Three queries, whatever the number of units."""
    submitted = Q(transitions__to_status=Return.Status.SUBMITTED)
    returns = {
        r["unit_id"]: r
        for r in Return.objects.filter(period=period)
        .annotate(first=Min("transitions__at", filter=submitted))
        .values("unit_id", "status", "submitted_at", "first")
    }
    labels = dict(Return.Status.choices)
    lines = []
    for unit in ReportingUnit.objects.filter(region=period.region_id).prefetch_related("boroughs"):
        r = returns.get(unit.pk)
        first = (r["first"] or r["submitted_at"]) if r else None
        on_time = None if first is None else timezone.localtime(first).date() <= period.deadline
        lines.append(
            SubmissionLine(
                unit.name,
                [b.pk for b in unit.boroughs.all()],
                labels[r["status"]] if r else "Not started",
                first,
                on_time,
            )
        )
    return lines


@dataclass
class BreachEntry:
    quarter: str
    borough: str
    row: int
    registration_number: str
    role: str
    agency: str  # as known to the portal, else as the borough reported it
    engagement_type: str
    start_date: date | None
    hourly_pay_rate: Decimal
    cap: Decimal
    signed_off_on: date | None
    signed_off_by: str  # the approver's job title

    @property
    def excess(self) -> Decimal:
        return self.hourly_pay_rate - self.cap


def breach_register(scope: Scope) -> list[BreachEntry]:
    """Every row over the cap in scope, by borough, quarter and row, with its sign-off if it has one.
    One query."""
    engagement = dict(EngagementType.choices)
    rows = (
        rows_with_caps(scope)
        .filter(OVER)
        .values(
            "ret__period__starts_on",
            "borough__name",
            "position",
            "registration_number",
            "role__name",
            "local_role__name",
            "agency__name",
            "agency_name",
            "engagement_type",
            "start_date",
            "hourly_pay_rate",
            "cap",
            "breach_sign_off__signed_on",
            "breach_sign_off__signed_by_title",
        )
        .order_by("borough__name", "ret__period__starts_on", "position")
    )
    return [
        BreachEntry(
            quarter_label(r["ret__period__starts_on"]),
            r["borough__name"],
            r["position"],
            r["registration_number"],
            r["local_role__name"] or r["role__name"] or "",
            r["agency__name"] or r["agency_name"],
            engagement.get(r["engagement_type"], r["engagement_type"]),
            r["start_date"],
            r["hourly_pay_rate"],
            r["cap"],
            r["breach_sign_off__signed_on"],
            r["breach_sign_off__signed_by_title"] or "",
        )
        for r in rows
    ]


@dataclass
class CoolOffEntry:
    quarter: str
    borough: str
    row: int | None
    registration_number: str
    agency: str
    start_date: date | None
    previous_employer: str
    left_previous_on: date | None
    rule_code: str
    finding: str


def cool_off_register(scope: Scope) -> list[CoolOffEntry]:
    """Every cool-off finding (COOL-001, COOL-002) of the latest validation of each accepted return in
    scope, by borough, quarter and row. One query."""
    rows = (
        _latest_findings(scope, FLAGS["cool_off"])
        .values(
            "assignment__ret__period__starts_on",
            "assignment__borough__name",
            "assignment__position",
            "assignment__registration_number",
            "assignment__agency__name",
            "assignment__agency_name",
            "assignment__start_date",
            "assignment__previous_employer__name",
            "assignment__left_previous_on",
            "rule_code",
            "message",
        )
        .order_by(
            "assignment__borough__name", "assignment__ret__period__starts_on", "assignment__position", "rule_code"
        )
    )
    return [
        CoolOffEntry(
            quarter_label(r["assignment__ret__period__starts_on"]),
            r["assignment__borough__name"],
            r["assignment__position"],
            r["assignment__registration_number"],
            r["assignment__agency__name"] or r["assignment__agency_name"],
            r["assignment__start_date"],
            r["assignment__previous_employer__name"] or "",
            r["assignment__left_previous_on"],
            r["rule_code"],
            r["message"],
        )
        for r in rows
    ]


@dataclass
class BoroughScorecard:
    borough_id: int
    borough: str
    unit: str
    status: str
    first_submitted: datetime | None
    on_time: bool | None
    rows: int = 0
    breaches: int = 0
    signed_off: int = 0
    cool_off: int = 0
    low_pqe: int = 0
    overlap: int = 0
    share: Decimal | None = None  # the reporting unit's agency share (percent)
    references_completed: int = 0
    median_turnaround: Decimal | None = None  # working days, as the borough answering

    @property
    def within_cap(self) -> int:
        return self.rows - self.breaches

    @property
    def without_sign_off(self) -> int:
        return self.breaches - self.signed_off


def borough_scorecards(period: ReportingPeriod) -> list[BoroughScorecard]:
    """One scorecard per borough of the period's region, from the same selectors as the dashboards: its
    unit's submission, rows within and over the cap, sign-offs, flags, agency share and the references it
    answered. About a dozen queries, whatever the number of boroughs."""
    scope = Scope(period.starts_on, period.starts_on, region=period.region)
    submissions = {b: s for s in submission_timeliness(period) for b in s.borough_ids}
    breaches = {b.borough_id: b for b in breaches_by_borough(scope)}
    flags = {f.borough_id: f for f in flags_by_borough(scope)}
    shares = {b: s.share for s in agency_share_by_unit(scope) for b in (s.borough_ids or [])}
    turnaround = reference_turnaround(scope, by="borough")
    cards = []
    for borough in Borough.objects.filter(region=period.region_id).order_by("name"):
        submission = submissions.get(borough.pk)
        card = BoroughScorecard(
            borough.pk,
            borough.name,
            submission.unit if submission else "No reporting unit",
            submission.status if submission else "Not started",
            submission.first_submitted if submission else None,
            submission.on_time if submission else None,
            share=shares.get(borough.pk),
        )
        if borough.pk in breaches:
            line = breaches[borough.pk]
            card.rows, card.breaches, card.signed_off = line.rows, line.breaches, line.signed_off
        if borough.pk in flags:
            line = flags[borough.pk]
            card.cool_off, card.low_pqe, card.overlap = line.cool_off, line.low_pqe, line.overlap
        card.references_completed, card.median_turnaround = turnaround.get(borough.pk, (0, None))
        cards.append(card)
    return cards
