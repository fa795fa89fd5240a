"""The dashboards' row figures read from the per-return aggregates (``dashboards.aggregates``) instead of from
every assignment row: the same functions, the same answers, in a fixed number of queries over some rows per
return, whatever the number of assignments.

Each function here has a namesake computed from the rows (``compliance``, ``comparison``, ``workforce``,
``coverage``), which stays the reference: the tests compare the two on the same data, and a function here
answers with its namesake whenever the aggregates are stale (``aggregates.stale()``: a return accepted
without the services, a rate card changed since they were built), after queueing the rebuild. So a figure is
never read from aggregates older than the data. Figures that were already per return (workforce, spend,
coverage, completeness) and reference requests are read as before.
"""

from __future__ import annotations

import functools
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery, Sum

from agencies.models import Agency
from boroughs.models import Borough
from dashboards.cache import once, once_within
from pledge_portal.core.rows import plain_rows

from . import comparison, compliance, coverage, workforce
from .comparison import AgencyBoroughLine, Comparison
from .compliance import UNMATCHED, AgencyLine, BreachLine, FlagLine, reference_turnaround
from .coverage import QuarterComparison
from .scope import PENNY, Scope, narrowed, quarter_label
from .workforce import QUARTILES, PayLine, Quartiles, in_scope, interpolated, quantile_positions, quartile_lines

REBUILD_LOCK = "dashboards:figures-rebuild-queued"
REBUILD_LOCK_SECONDS = 60  # at most one rebuild queued a minute, however many pages find the figures stale


def ready() -> bool:
    """Whether the aggregates can be read (once per request: ``cache.once``). When they cannot, the rebuild
    is queued, and the figures are computed from the rows meanwhile."""
    from dashboards.aggregates import stale

    if not once(stale):
        return True
    if cache.add(REBUILD_LOCK, 1, REBUILD_LOCK_SECONDS):
        from dashboards.tasks import rebuild_dashboard_figures

        rebuild_dashboard_figures.delay()
    return False


def _or_from_rows(reference):
    """Answer with ``reference`` (the same figure computed from the rows) while the aggregates are stale."""

    def wrap(function):
        @functools.wraps(function)
        def answer(scope: Scope, *args):
            if not ready():
                return reference(scope, *args)
            return function(scope, *args)

        return answer

    return wrap


def _parts(model, scope: Scope) -> QuerySet:
    """The aggregate rows of ``model`` in scope, chosen as ``scope.accepted_rows`` chooses rows: by the rows'
    quarter, region, borough (and its sub-region), core role and return's unit. A scope of whole regions reads
    the parts added up per region and quarter (``models.RegionAgencyFigures``, ``RegionPayFigures``), where
    there are such: the same sums from fewer lines."""
    from dashboards.models import AgencyFigures, PayFigures, RegionAgencyFigures, RegionPayFigures

    whole = scope.sub_region is None and scope.borough is None and scope.agency is None and scope.units is None
    if whole and model in (AgencyFigures, PayFigures):
        model = RegionAgencyFigures if model is AgencyFigures else RegionPayFigures
    qs = model.objects.filter(quarter__gte=scope.start, quarter__lte=scope.end)
    return narrowed(qs, scope, region="region", unit=None if whole else "unit_id").order_by()


def _agency_counts(scope: Scope) -> QuerySet:
    """Rows, breaches and sign-offs of an agency's scope, per borough, role and agency."""
    from dashboards.models import AgencyFigures

    return _parts(AgencyFigures, scope)


_SUMS = {"n": Sum("rows"), "breaches": Sum("breaches"), "signed": Sum("signed_off")}


def _name_of(model, column: str, field: str = "name") -> Subquery:
    """The name of the ``model`` row an aggregate line points to by ``column``, looked up once per line after
    the grouping (by ids): joining first would group and sort thousands of rows by their names."""
    return Subquery(model.objects.filter(pk=OuterRef(column)).order_by().values(field)[:1])


# What ``BoroughFigures`` sums, in the order ``_borough_totals`` gives them.
_BOROUGH_SUMS = ("rows", "breaches", "signed_off", "cool_off", "low_pqe", "overlap")
_QUARTER, _BOROUGH = 0, 2


def borough_quarter_sums(scope: Scope) -> list[tuple]:
    """``BoroughFigures`` in scope summed per quarter, unit and borough: (quarter, unit id, borough id,
    *``_BOROUGH_SUMS``). One query, which the breaches and flags figures of a page share: some 1,300 lines
    for a region over ten years."""
    from dashboards.models import BoroughFigures

    sums = {f"n_{column}": Sum(column) for column in _BOROUGH_SUMS}
    return plain_rows(_parts(BoroughFigures, scope).values_list("quarter", "unit_id", "borough_id").annotate(**sums))


def _borough_totals(scope: Scope, by: int) -> dict:
    """The shared sums added up per quarter (``by=_QUARTER``) or per borough (``_BOROUGH``), once a page."""
    return once(_add_up, scope, by)


def _add_up(scope: Scope, by: int) -> dict:
    grouped: dict = defaultdict(list)
    for line in once_within(borough_quarter_sums, scope, in_scope):
        grouped[line[by]].append(line[3:])
    return {key: [sum(column) for column in zip(*lines, strict=True)] for key, lines in grouped.items()}


def _by_name(scope: Scope) -> list[tuple[int, str]]:
    """(id, name) of the boroughs with figures in scope, in the order of their names: one query a page, which
    the breaches and the flags by borough share."""
    return once(_borough_names, scope)


def _borough_names(scope: Scope) -> list[tuple[int, str]]:
    ids = list(_borough_totals(scope, _BOROUGH))
    return list(Borough.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))


@_or_from_rows(compliance.breaches_by_borough)
def breaches_by_borough(scope: Scope) -> list[BreachLine]:
    if scope.agency is None:
        totals = _borough_totals(scope, _BOROUGH)
        return [BreachLine(name, *totals[pk][:3], pk) for pk, name in _by_name(scope)]
    grouped = (
        _agency_counts(scope)
        .values("borough_id")
        .annotate(**_SUMS)
        .annotate(name=_name_of(Borough, "borough_id"))
        .order_by("name")
    )
    return [BreachLine(g["name"], g["n"], g["breaches"], g["signed"], g["borough_id"]) for g in grouped]


@_or_from_rows(compliance.breaches_over_time)
def breaches_over_time(scope: Scope) -> list[BreachLine]:
    if scope.agency is None:
        totals = _borough_totals(scope, _QUARTER)
        return [BreachLine(quarter_label(quarter), *totals[quarter][:3]) for quarter in sorted(totals)]
    grouped = _agency_counts(scope).values("quarter").annotate(**_SUMS).order_by("quarter")
    return [BreachLine(quarter_label(g["quarter"]), g["n"], g["breaches"], g["signed"]) for g in grouped]


def _flags_by_borough(scope: Scope) -> list[FlagLine]:
    totals = _borough_totals(scope, _BOROUGH)
    lines = [FlagLine(name, *totals[pk][3:], borough_id=pk) for pk, name in _by_name(scope)]
    return [line for line in lines if line.cool_off or line.low_pqe or line.overlap]


def _flags_over_time(scope: Scope) -> list[FlagLine]:
    totals = _borough_totals(scope, _QUARTER)
    lines = [FlagLine(quarter_label(quarter), *totals[quarter][3:]) for quarter in sorted(totals)]
    return [line for line in lines if line.cool_off or line.low_pqe or line.overlap]


@_or_from_rows(compliance.flags_by_borough)
def flags_by_borough(scope: Scope) -> list[FlagLine]:
    """Flags are kept per borough and role, not per agency: an agency's scope is counted from the rows."""
    return compliance.flags_by_borough(scope) if scope.agency is not None else _flags_by_borough(scope)


@_or_from_rows(compliance.flags_over_time)
def flags_over_time(scope: Scope) -> list[FlagLine]:
    return compliance.flags_over_time(scope) if scope.agency is not None else _flags_over_time(scope)


@_or_from_rows(compliance.agencies_ranked)
def agencies_ranked(scope: Scope) -> list[AgencyLine]:
    from dashboards.models import AgencyFigures

    grouped = (
        _parts(AgencyFigures, scope).values("agency_id").annotate(**_SUMS).annotate(name=_name_of(Agency, "agency_id"))
    )
    lines = [AgencyLine(g["agency_id"], g["name"] or UNMATCHED, g["n"], g["breaches"], g["signed"]) for g in grouped]
    turnaround = reference_turnaround(scope)
    for line in lines:
        if line.agency_id in turnaround:
            line.references_completed, line.median_turnaround = turnaround[line.agency_id]
    return sorted(lines, key=lambda a: (-a.assignments, -a.breaches, a.name))


@_or_from_rows(comparison.agency_by_borough)
def agency_by_borough(scope: Scope) -> list[AgencyBoroughLine]:
    from dashboards.models import AgencyFigures

    grouped = (
        _parts(AgencyFigures, scope)
        .values("borough_id")
        .annotate(**_SUMS)
        .annotate(name=_name_of(Borough, "borough_id"), region=_name_of(Borough, "borough_id", "region__name"))
        .order_by("region", "name")
    )
    return [AgencyBoroughLine(g["name"], g["region"], g["n"], g["breaches"], g["signed"]) for g in grouped]


@_or_from_rows(workforce.pay_rates_by_role)
def pay_rates_by_role(scope: Scope) -> list[PayLine]:
    """Pay is kept per borough and role, not per agency: an agency's scope is counted from the rows."""
    if scope.agency is not None:
        return workforce.pay_rates_by_role(scope)
    return quartile_lines(scope, _pay_quartiles(scope))


def _pay_quartiles(scope: Scope) -> Quartiles:
    """Each core role and cap basis's rows and quartiles, exact, in one query: the database sums the frequency
    table (``PayFigures``) by rate, counts the rows up to each rate in rate order (a window), and sends back
    only the rates at the positions each quartile lies between (at most six a line), not the thousands of
    distinct rates. The positions and the interpolation are the reference's (``workforce.quantile_positions``):
    the rate at position i (from 0) is the one with at most i rows before it and more than i up to it."""
    from dashboards.models import PayFigures

    by_rate = _parts(PayFigures, scope).values("core_role_id", "basis", "rate").annotate(n=Sum("rows"))
    sql, params = by_rate.query.sql_with_params()
    positions = []  # below and above each quartile's position, as SQL over the line's row count
    for p in QUARTILES:
        share = Fraction(str(p))
        below = f"((c.total - 1) * {share.numerator} / {share.denominator})"  # integers: rounded down
        positions += [below, f"({below} + 1)"]  # above is past the end only when below is the last: not sent
    wanted = " OR ".join(f"(c.upto - c.n <= {i} AND {i} < c.upto)" for i in positions)
    line = "PARTITION BY f.core_role_id, f.basis"
    query = (
        "SELECT c.core_role_id, c.basis, c.total, c.upto - c.n, c.upto, c.rate FROM ("
        f"SELECT f.core_role_id, f.basis, f.rate, f.n, CAST(SUM(f.n) OVER ({line} ORDER BY f.rate ROWS UNBOUNDED "
        f"PRECEDING) AS BIGINT) AS upto, CAST(SUM(f.n) OVER ({line}) AS BIGINT) AS total FROM ({sql}) f"
        f") c WHERE {wanted}"
    )
    pieces: dict[tuple[int, str], list[tuple[int, int, Decimal]]] = defaultdict(list)
    totals: dict[tuple[int, str], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for role_id, basis, total, first, upto, rate in cursor.fetchall():
            pieces[(role_id, basis)].append((first, upto, Decimal(str(rate)).quantize(PENNY)))
            totals[(role_id, basis)] = total

    quartiles = {}
    for key, found in pieces.items():

        def value_at(index: int, found=found) -> Decimal:
            return next(rate for first, upto, rate in found if first <= index < upto)

        values = []
        for p in QUARTILES:
            below, above, fraction = quantile_positions(totals[key], p)
            values.append(interpolated(value_at(below), value_at(above), fraction))
        quartiles[key] = (totals[key], *values)
    return quartiles


_this = sys.modules[__name__]


@_or_from_rows(coverage.headlines)
def headlines(scope: Scope) -> dict[date, coverage.Headline]:
    return coverage.headlines(scope, source=_this)


@_or_from_rows(coverage.compare_quarters)
def compare_quarters(scope: Scope, other: date) -> QuarterComparison:
    return coverage.compare_quarters(scope, other, source=_this)


@_or_from_rows(comparison.borough_comparison)
def borough_comparison(scope: Scope, borough) -> list[Comparison]:
    return comparison.borough_comparison(scope, borough, source=_this)
