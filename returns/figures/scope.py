"""What a scope selects: the accepted returns and rows a figure reads, and the cap each row is held to. See the
package's docstring for the counting conventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from boroughs.models import Borough, Region, SubRegion
from rates.models import INCLUSIVE_ENGAGEMENTS, EngagementType, RoleCategory
from rates.table import rate_table

from ..models import Assignment, ReportingUnit, Return

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
    """The cap ``check_rate`` would apply to each row, as SQL. Nested so that each row goes through few tests:
    its region (only when rows of several regions are in scope), the card in force on its start date (newest
    first: the first covering it decides), PAYE or not, then the card's line for its local role if there is
    one, else for its core role. A flat list of every card's every line made each row go through hundreds."""
    table = rate_table()
    inclusive = [str(e) for e in INCLUSIVE_ENGAGEMENTS]
    money = Assignment.hourly_pay_rate.field
    bases = ((Q(engagement_type=EngagementType.PAYE), 1), (Q(engagement_type__in=inclusive), 0))
    regions = []
    for region_id in sorted(region_ids):
        cards = []
        for entry in table.cards_by_region.get(region_id, ()):  # newest first
            card = entry.card
            covers = Q(start_date__gte=card.effective_from)
            if card.effective_to is not None:
                covers &= Q(start_date__lte=card.effective_to)
            by_basis = []
            for engagement, index in bases:  # index: which of the line's (inclusive, PAYE) caps
                core = Case(
                    *(
                        When(core_role=role, then=Value(caps[index]))
                        for (role, local), caps in entry.lines.items()
                        if not local
                    ),
                    default=Value(None),
                    output_field=money,
                )
                local = [
                    When(local_role_id=local, then=Value(caps[index]))
                    for (_, local), caps in entry.lines.items()
                    if local
                ]
                by_basis.append(
                    When(engagement, then=Case(*local, default=core, output_field=money) if local else core)
                )
            if entry.lines:
                cards.append(When(covers, then=Case(*by_basis, default=Value(None), output_field=money)))
        if cards:
            regions.append((region_id, Case(*cards, default=Value(None), output_field=money)))
    if not regions:
        return Value(None, output_field=money)
    if len(region_ids) == 1:
        return regions[0][1]  # every row in scope is of this region
    whens = [When(ret__period__region_id=region_id, then=cap) for region_id, cap in regions]
    return Case(*whens, default=Value(None), output_field=money)


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
SIGNED = Q(breach_sign_off__isnull=False) & Q(over=1)  # most rows have no sign-off: the cap is not worked out


def quarter_label(starts_on: date) -> str:
    """Financial-year quarter, as ``ReportingPeriod.label`` names it, short: 2026-27 Q2."""
    quarter = (starts_on.month - 4) % 12 // 3 + 1
    year = starts_on.year if starts_on.month >= 4 else starts_on.year - 1
    return f"{year}-{str(year + 1)[2:]} Q{quarter}"
