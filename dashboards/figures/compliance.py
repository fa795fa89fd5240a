"""Breaches and their sign-offs, cool-off, PQE and overlap flags, agencies and reference turnaround. See the package's
docstring for the counting conventions.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from pledge_portal.core.working_days import working_days_between
from returns.models import Finding, ValidationRun

from .scope import FLAGS, OVER, SIGNED, Scope, accepted_rows, narrowed, quarter_label, rows_with_caps, shift_quarters

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

    qs = ReferenceRequest.objects.filter(
        requested_at__date__gte=scope.start, requested_at__date__lt=shift_quarters(scope.end, 1)
    )
    return narrowed(qs, scope, region="borough__region", role=False)


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
