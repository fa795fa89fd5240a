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
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from boroughs.models import Borough, Region, SubRegion
from rates.models import INCLUSIVE_ENGAGEMENTS, EngagementType, RoleCategory
from rates.table import rate_table
from returns.models import Assignment, ReportingPeriod, ReportingUnit, Return

SMALL_COUNT = 5  # counts about other boroughs below this (but above 0) are shown as "fewer than 5"
FLAGS = {
    "cool_off": ("COOL-001", "COOL-002", "COOL-003", "COOL-004", "COOL-005"),
    "low_pqe": ("PQE-001", "PQE-002"),
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
    units: frozenset[int] | None = None  # only these reporting units (a comparison on common units)


def suppressed(count: int | None) -> str:
    """A count about other boroughs as it may be shown: small counts are hidden, so no one borough's
    figure can be worked out from an aggregate."""
    if count is None:
        return "no figure"
    if 0 < count < SMALL_COUNT:
        return f"fewer than {SMALL_COUNT}"
    return str(count)


# --- What a scope selects ------------------------------------------------------------------------------


def narrowed(qs: QuerySet, scope: Scope, *, region: str, unit: str | None = None, role: bool = True) -> QuerySet:
    """``qs`` (rows that each have a ``borough`` and an ``agency``) narrowed to the scope's region (reached by
    the lookup ``region``), sub-region, borough and agency, its core role (``core_role``, a column or an
    annotation) unless ``role`` is False, and its units (reached by ``unit``) when the rows have one."""
    if scope.region is not None:
        qs = qs.filter(**{region: scope.region})
    if scope.sub_region is not None:
        qs = qs.filter(borough__sub_region=scope.sub_region)
    if scope.borough is not None:
        qs = qs.filter(borough=scope.borough)
    if scope.agency is not None:
        qs = qs.filter(agency=scope.agency)
    if role and scope.role is not None:
        qs = qs.filter(core_role=scope.role.pk)
    if unit is not None and scope.units is not None:
        qs = qs.filter(**{f"{unit}__in": scope.units})
    return qs


def accepted_returns(scope: Scope) -> QuerySet[Return]:
    qs = Return.objects.filter(
        status=Return.Status.ACCEPTED, period__starts_on__gte=scope.start, period__starts_on__lte=scope.end
    )
    if scope.region is not None:
        qs = qs.filter(period__region=scope.region)
    if scope.sub_region is not None or scope.borough is not None:
        qs = qs.filter(unit__in=_units(scope))
    if scope.units is not None:
        qs = qs.filter(unit_id__in=scope.units)
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
    return narrowed(qs, scope, region="ret__period__region", unit="ret__unit_id")


_CAP_SQL: dict[tuple, str] = {}


def _col(name: str) -> str:
    """A column of the base table of an Assignment query (Django names it by the table, unaliased)."""
    return f'"{Assignment._meta.db_table}"."{Assignment._meta.get_field(name).column}"'


def _literal(value: str) -> str:
    if not value.replace("-", "").replace("_", "").isalnum():  # our own codes and ISO dates only
        raise ValueError(f"Not a plain code: {value!r}")
    return f"'{value}'"


def cap_sql(region_ids) -> RawSQL:
    """The cap ``check_rate`` would apply to each row, as SQL over the row's columns: its period's region (only
    when rows of several regions are in scope), the card in force on its start date (newest
    first: the first covering it decides), PAYE or not, then the card's line for its local role if there is
    one, else for its core role. The text is built once per version of the rate cards and set of regions and
    kept in the process: with ten years of yearly cards in nine regions it is some 100 KB, which Django would
    otherwise assemble from expression objects on every request. Every value in it is a number, a date or one
    of the portal's own codes, never user input."""
    from rates.table import fingerprint

    table = rate_table()
    key = (fingerprint(), tuple(sorted(region_ids)))
    sql = _CAP_SQL.get(key)
    if sql is None:
        if len(_CAP_SQL) > 100:
            _CAP_SQL.clear()
        sql = _CAP_SQL[key] = _build_cap_sql(table, key[1])
    return RawSQL(sql, [], output_field=Assignment.hourly_pay_rate.field)


def _locals_of(table) -> dict[int, list[int]]:
    """Local role ids by the id of their core role."""
    locals_of: dict[int, list[int]] = {}
    for local_role in table.local_by_key.values():
        locals_of.setdefault(local_role.core_id, []).append(local_role.pk)
    return locals_of


def _card_caps_sql(lines: dict[tuple[int | None, int | None], tuple], locals_of: dict[int, list[int]]) -> str:
    """The cap one card's ``lines`` ((role id, local role id) -> (inclusive, PAYE) caps, as ``rates.table`` holds
    them) set for a row, as ``check_rate`` picks it: the PAYE figure for PAYE, the inclusive one for umbrella
    and limited company; the line for the row's local role if the card has one, else its core role's (a local
    role without a line of its own uses its core role's). NULL when no line applies."""
    engagement, local, role = (_col(n) for n in ("engagement_type", "local_role", "role"))
    inclusive = ", ".join(_literal(str(e)) for e in INCLUSIVE_ENGAGEMENTS)
    bases = ((f"{engagement} = {_literal(str(EngagementType.PAYE))}", 1), (f"{engagement} IN ({inclusive})", 0))
    by_basis = []
    for test, index in bases:  # index: which of the line's (inclusive, PAYE) caps
        whens = [
            f"WHEN {local} = {int(local_id)} THEN {Decimal(caps[index])}"
            for (_, local_id), caps in lines.items()
            if local_id
        ]
        for (role_id, local_id), caps in lines.items():
            if local_id:
                continue
            match = f"({local} IS NULL AND {role} = {int(role_id)})"
            if locals_of.get(role_id):
                match = f"({match} OR {local} IN ({', '.join(str(int(i)) for i in locals_of[role_id])}))"
            whens.append(f"WHEN {match} THEN {Decimal(caps[index])}")
        if whens:
            by_basis.append(f"WHEN {test} THEN CASE {' '.join(whens)} END")
    return f"CASE {' '.join(by_basis)} END" if by_basis else "NULL"


def card_cap_sql(lines: dict[tuple[int | None, int | None], tuple]) -> RawSQL:
    """The cap a card with ``lines`` would set for each row of an Assignment query, whatever its start date (a
    draft's, to see what it would change): the same rule as ``cap_sql`` and ``check_rate``."""
    sql = _card_caps_sql(lines, _locals_of(rate_table()))
    return RawSQL(sql, [], output_field=Assignment.hourly_pay_rate.field)


def _build_cap_sql(table, region_ids: tuple[int, ...]) -> str:
    start = _col("start_date")
    locals_of = _locals_of(table)
    regions = []
    for region_id in region_ids:
        cards = []
        for entry in table.cards_by_region.get(region_id, ()):  # newest first
            if not entry.lines:
                continue
            card = entry.card
            covers = f"{start} >= {_literal(card.effective_from.isoformat())}"
            if card.effective_to is not None:
                covers += f" AND {start} <= {_literal(card.effective_to.isoformat())}"
            cards.append(f"WHEN {covers} THEN {_card_caps_sql(entry.lines, locals_of)}")
        if cards:
            regions.append((region_id, f"CASE {' '.join(cards)} END"))
    if not regions:
        return "NULL"
    if len(region_ids) == 1:
        return regions[0][1]  # every row in scope is of this region
    # The rows' period is joined in every query of accepted rows (they are chosen by its quarter), under its
    # table's own name.
    region = f'"{ReportingPeriod._meta.db_table}"."region_id"'
    whens = [f"WHEN {region} = {int(region_id)} THEN {sql}" for region_id, sql in regions]
    return f"CASE {' '.join(whens)} END" if whens else "NULL"


def _region_ids(scope: Scope, rows: QuerySet[Assignment]) -> list[int]:
    if scope.region is not None:
        return [scope.region.pk]
    if scope.borough is not None:
        return [scope.borough.region_id]
    return list(rows.order_by().values_list("ret__period__region_id", flat=True).distinct())


def rows_with_caps(scope: Scope) -> QuerySet[Assignment]:
    """Rows in scope annotated with ``cap`` (None where no cap applies) and ``over`` (1 if above the cap)."""
    rows = accepted_rows(scope)
    return rows.annotate(cap=cap_sql(_region_ids(scope, rows))).annotate(
        over=Case(When(hourly_pay_rate__gt=F("cap"), then=Value(1)), default=Value(0), output_field=IntegerField())
    )


OVER = Q(over=1)
SIGNED = Q(breach_sign_off__isnull=False) & Q(over=1)  # most rows have no sign-off: the cap is not worked out


def quarter_start(day: date) -> date:
    """The first day of the calendar quarter holding ``day``."""
    return date(day.year, day.month - (day.month - 1) % 3, 1)


def shift_quarters(start: date, count: int) -> date:
    """The first day of the quarter ``count`` quarters after the one starting on ``start`` (before, if
    negative)."""
    months = start.year * 12 + start.month - 1 + 3 * count
    return date(months // 12, months % 12 + 1, 1)


def quarter_label(starts_on: date) -> str:
    """Financial-year quarter, as ``ReportingPeriod.label`` names it, short: 2026-27 Q2."""
    quarter = (starts_on.month - 4) % 12 // 3 + 1
    year = starts_on.year if starts_on.month >= 4 else starts_on.year - 1
    return f"{year}-{str(year + 1)[2:]} Q{quarter}"
