"""The per-return aggregates the dashboards read (``models.ReturnFigures`` and its parts; decision note 0013).

An accepted return's rows are summed once, when it is accepted, into a few rows per borough and core role
(``BoroughFigures``), per agency (``AgencyFigures``) and per pay rate (``PayFigures``), so a dashboard over
ten years reads some thousands of small rows instead of every assignment, in a fixed number of queries.

They are kept up to date in the transaction that changes what they are built from:

* ``accept_return`` builds them (``refresh``), ``reopen_return`` deletes them;
* a check (``returns.validation.run_validation``) that finishes on an accepted return rebuilds them (flags);
* breaches depend on the rate cards, so each return's figures record the rate cards they were built on
  (``rates_version``). A change of card makes them stale; so does an accepted return written without the
  services (the demo, the synthetic history, a restore). ``stale()`` says so in two small queries, the
  figures are then computed from the rows for that request (``figures.aggregated``) and ``rebuild()`` (the
  ``rebuild_dashboard_figures`` task and command, idempotent) brings every stale return up to date.

The counting conventions are the figures' (``dashboards.figures``); ``figures.aggregated`` reads these tables,
and the tests compare every figure read here with the same figure computed from the rows.
"""

from __future__ import annotations

import functools
import hashlib
import operator
from collections import defaultdict
from datetime import date

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from rates.models import EngagementType
from returns.models import Assignment, Finding, ReportingPeriod, Return, ValidationRun

from .figures.scope import FLAGS, cap_sql
from .models import (
    AgencyFigures,
    BoroughFigures,
    PayFigures,
    RegionAgencyFigures,
    RegionPayFigures,
    ReturnFigures,
)

BATCH = 2000  # rows per INSERT
RETURNS_PER_BUILD = 500  # returns summed per pass when rebuilding many, so memory stays bounded


def rates_version() -> str:
    """A short digest of the rate cards' fingerprint (``rates.table``): it changes whenever a card does."""
    from rates.table import fingerprint

    return hashlib.sha256(repr(fingerprint()[:-1]).encode()).hexdigest()[:20]  # [:-1]: not the database name


def refresh(ret: Return) -> None:
    """Bring one return's figures up to date with its status, rows and latest check: built if it is
    accepted, deleted otherwise. Called inside the service's transaction."""
    if ret.status == Return.Status.ACCEPTED:
        build(Return.objects.filter(pk=ret.pk))
    else:
        forget([ret.pk])


def stale() -> bool:
    """Whether any accepted return lacks figures built on the current rate cards, or a return that is no
    longer accepted still has some. Two queries, over returns (not rows)."""
    current = ReturnFigures.objects.filter(rates_version=rates_version()).values("ret_id")
    if Return.objects.filter(status=Return.Status.ACCEPTED).exclude(pk__in=current).exists():
        return True
    return ReturnFigures.objects.exclude(ret__status=Return.Status.ACCEPTED).exists()


def rebuild(*, everything: bool = False, progress=None) -> dict[str, int]:
    """Build the figures of every accepted return that has none or has them from older rate cards (all of
    them with ``everything``), and delete those of returns no longer accepted. Idempotent: a second run
    finds nothing to do."""
    progress = progress or (lambda message: None)
    removed = forget(ReturnFigures.objects.exclude(ret__status=Return.Status.ACCEPTED).values("ret_id"))
    wanted = Return.objects.filter(status=Return.Status.ACCEPTED)
    if not everything:
        wanted = wanted.exclude(pk__in=ReturnFigures.objects.filter(rates_version=rates_version()).values("ret_id"))
    ids = list(wanted.order_by("period__region_id", "pk").values_list("pk", flat=True))
    for start in range(0, len(ids), RETURNS_PER_BUILD):
        build(Return.objects.filter(pk__in=ids[start : start + RETURNS_PER_BUILD]))
        progress(f"Built the figures of {min(start + RETURNS_PER_BUILD, len(ids)):,} of {len(ids):,} returns")
    return {"built": len(ids), "removed": removed}


@transaction.atomic
def forget(ret_ids) -> int:
    """Delete the figures of these returns (ids, or a query of them), and add up their regions' quarters again."""
    quarters = _quarters_of(ret_ids)
    removed = _forget(ret_ids)
    roll_up(quarters)
    return removed


def _forget(ret_ids) -> int:
    for model in (BoroughFigures, AgencyFigures, PayFigures):
        model.objects.filter(figures__in=ret_ids)._raw_delete(model.objects.db)
    return ReturnFigures.objects.filter(ret_id__in=ret_ids)._raw_delete(ReturnFigures.objects.db)


def _quarters_of(ret_ids) -> set[tuple[int, date]]:
    """The (region id, quarter) of each of these returns."""
    return set(Return.objects.filter(pk__in=ret_ids).values_list("period__region_id", "period__starts_on").distinct())


# Each whole-region aggregate, the parts it adds up, what it is grouped by besides the region, quarter and core
# role, and what it sums.
_ROLL_UPS = [
    (RegionAgencyFigures, AgencyFigures, ("agency_id",), ("rows", "breaches", "signed_off")),
    (RegionPayFigures, PayFigures, ("basis", "rate"), ("rows",)),
]


@transaction.atomic
def roll_up(quarters: set[tuple[int, date]]) -> None:
    """Add up the parts of these (region id, quarter)s into the whole-region aggregates again. Each region's
    quarter is locked first (its reporting period's row), so two returns of one quarter accepted at once take
    turns, and the second adds up the first's parts too. Two statements per aggregate, whatever the number of
    quarters."""
    if not quarters:
        return
    ordered = sorted(quarters)
    periods = functools.reduce(operator.or_, (Q(region_id=r, starts_on=q) for r, q in ordered))
    list(ReportingPeriod.objects.select_for_update().filter(periods).order_by("pk").values_list("pk", flat=True))
    where = functools.reduce(operator.or_, (Q(region_id=r, quarter=q) for r, q in ordered))
    for whole, parts, keys, sums in _ROLL_UPS:
        whole.objects.filter(where)._raw_delete(whole.objects.db)
        grouped = (
            parts.objects.filter(where)
            .values("region_id", "quarter", "core_role_id", *keys)
            .annotate(**{f"n_{column}": Sum(column) for column in sums})
            .order_by()
        )
        columns = {"region": "region_id", "quarter": "quarter", "core_role": "core_role_id"}
        columns |= {key.removesuffix("_id"): key for key in keys} | {column: f"n_{column}" for column in sums}
        _insert(whole, columns, grouped)


@transaction.atomic
def build(returns: QuerySet[Return]) -> None:
    """(Re)build the figures of these accepted returns from their rows and latest finished check. Four
    queries per region the returns belong to, and the inserts."""
    version = rates_version()
    about = {
        r["pk"]: r
        for r in returns.filter(status=Return.Status.ACCEPTED).values(
            "pk", "unit_id", "period__starts_on", "period__region_id"
        )
    }
    _forget(list(about))
    if not about:
        return
    latest = _latest_runs(list(about))
    ReturnFigures.objects.bulk_create(
        [ReturnFigures(ret_id=pk, rates_version=version, run_id=latest.get(pk)) for pk in about], batch_size=BATCH
    )
    by_region: dict[int, list[int]] = defaultdict(list)
    for pk, r in about.items():
        by_region[r["period__region_id"]].append(pk)
    for region_id, ids in by_region.items():
        _build_region(region_id, ids, about, [latest[pk] for pk in ids if pk in latest])
    roll_up({(r["period__region_id"], r["period__starts_on"]) for r in about.values()})


def _latest_runs(ret_ids: list[int]) -> dict[int, int]:
    """Each return's latest finished validation run (the one whose findings are its flags)."""
    latest: dict[int, int] = {}
    runs = ValidationRun.objects.filter(ret_id__in=ret_ids, finished_at__isnull=False)
    for ret_id, pk in runs.order_by("ret_id", "finished_at", "pk").values_list("ret_id", "pk"):
        latest[ret_id] = pk  # ordered oldest first, so the last one seen wins
    return latest


def _where(about: dict, ret_id: int) -> dict:
    r = about[ret_id]
    return {
        "figures_id": ret_id,
        "quarter": r["period__starts_on"],
        "region_id": r["period__region_id"],
        "unit_id": r["unit_id"],
    }


def _build_region(region_id: int, ids: list[int], about: dict, runs: list[int]) -> None:
    """The three aggregates of these returns of one region. The long ones (per agency, per pay rate) are
    written by the database straight from the rows (INSERT ... SELECT), the short one (per borough and
    role) from a grouped query and the flags."""
    rows = Assignment.objects.filter(ret_id__in=ids).annotate(
        core=Coalesce("local_role__core_id", "role_id"),
        r_quarter=F("ret__period__starts_on"),
        r_region=F("ret__period__region_id"),
        r_unit=F("ret__unit_id"),
    )
    over = Q(over=1)
    counted = (
        rows.annotate(cap=cap_sql([region_id]))
        .annotate(
            over=Case(When(hourly_pay_rate__gt=F("cap"), then=Value(1)), default=Value(0), output_field=IntegerField())
        )
        .values("ret_id", "r_quarter", "r_region", "r_unit", "borough_id", "core", "agency_id")
        .annotate(
            n=Count("pk"),
            n_breaches=Count("pk", filter=over),
            n_signed=Count("pk", filter=over & Q(breach_sign_off__isnull=False)),
        )
        .order_by()
    )
    _insert(
        AgencyFigures,
        {
            **_PART_COLUMNS,
            "agency": "agency_id",
            "rows": "n",
            "breaches": "n_breaches",
            "signed_off": "n_signed",
        },
        counted,
    )
    pay = (
        rows.filter(hourly_pay_rate__isnull=False, core__isnull=False)
        .exclude(engagement_type="")
        .annotate(
            r_basis=Case(
                When(engagement_type=EngagementType.PAYE, then=Value("paye")),
                default=Value("inclusive"),
                output_field=CharField(),
            )
        )
        .values("ret_id", "r_quarter", "r_region", "r_unit", "borough_id", "core", "r_basis", "hourly_pay_rate")
        .annotate(n=Count("pk"))
        .order_by()
    )
    _insert(
        PayFigures,
        {
            **_PART_COLUMNS,
            "basis": "r_basis",
            "rate": "hourly_pay_rate",
            "rows": "n",
        },
        pay,
    )
    # Per borough and role: the agencies' lines summed (a few per return), with the flags added.
    boroughs: dict[tuple, BoroughFigures] = {}
    summed = (
        AgencyFigures.objects.filter(figures__in=ids)
        .values("figures_id", "borough_id", "core_role_id")
        .annotate(n=Sum("rows"), n_breaches=Sum("breaches"), n_signed=Sum("signed_off"))
        .order_by()
    )
    for g in summed:
        key = (g["figures_id"], g["borough_id"], g["core_role_id"])
        boroughs[key] = BoroughFigures(
            **_where(about, key[0]),
            borough_id=key[1],
            core_role_id=key[2],
            rows=g["n"],
            breaches=g["n_breaches"],
            signed_off=g["n_signed"],
        )
    if runs:
        kind = Case(
            *(When(rule_code__in=codes, then=Value(name)) for name, codes in FLAGS.items()), output_field=CharField()
        )
        flagged = (
            Finding.objects.filter(
                run_id__in=runs,
                rule_code__in=[c for codes in FLAGS.values() for c in codes],
                assignment__ret_id__in=ids,
            )
            .annotate(kind=kind, core=Coalesce("assignment__local_role__core_id", "assignment__role_id"))
            .values("assignment__ret_id", "assignment__borough_id", "core", "kind")
            .annotate(n=Count("assignment", distinct=True))
            .order_by()
        )
        for f in flagged:
            key = (f["assignment__ret_id"], f["assignment__borough_id"], f["core"])
            line = boroughs.get(key)
            if line is None:  # a flagged row is a row of the return, so this is only for safety
                line = boroughs[key] = BoroughFigures(**_where(about, key[0]), borough_id=key[1], core_role_id=key[2])
            setattr(line, f["kind"], f["n"])
    BoroughFigures.objects.bulk_create(boroughs.values(), batch_size=BATCH)


# Each long aggregate's columns that say which return, quarter, region, unit, borough and core role a row is of,
# and the grouped query's names for them.
_PART_COLUMNS = {
    "figures": "ret_id",
    "quarter": "r_quarter",
    "region": "r_region",
    "unit": "r_unit",
    "borough": "borough_id",
    "core_role": "core",
}


def _insert(model, columns: dict[str, str], rows: QuerySet) -> None:
    """INSERT INTO ``model``'s table the rows of ``rows`` (a ``values()`` query, whose columns Django names
    by their aliases), one column of the table per alias: the database copies them without a round trip."""
    sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    targets = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    sources = ", ".join(f"grouped.{quote(alias)}" for alias in columns.values())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({targets}) SELECT {sources} FROM ({sql}) grouped", params
        )
