"""Signs of bidding up: a worker's hourly pay rate rising from one assignment to the next, when they move to
another borough of the region (a *move*) or start a new assignment in the same borough (a *renewal*).

How it is counted (so anyone can check a line by hand):

* Rows are those of **accepted** returns of the region (``scope.accepted_rows``) with a registration number,
  a start date and a pay rate. A return lists every assignment active in its quarter, so one assignment is
  several rows; the rows of one worker in one borough with one start date are **one assignment**, however
  many quarters carry it forward. A rate changed within an assignment is not a renewal and not compared.
* An assignment's rate *at its start* is its first quarter's row; its rate *at its end* is its latest
  quarter's row (and its agency is that row's).
* A worker's assignments are ordered by start date (then first quarter, then borough); each is compared with
  the one before: the rise is the new assignment's starting rate less the earlier one's last rate, in £ an
  hour and as a percentage of the earlier rate. The earlier assignment may be in any earlier quarter.
* A rise is *flagged* when it is beyond the region's threshold (``BiddingUpThreshold``, else ``DEFAULT``):
  strictly above the percentage, the £ an hour, or (when the region set both) either or both, as it chose.
* A rise is counted in the quarter its new assignment first appears; the period range filters on that.
  Only the region's own returns are read: a worker arriving from another region has no earlier assignment
  here.

The whole computation is one SQL statement of window functions (``ROW_NUMBER``, ``LAST_VALUE``, ``MIN``,
``LAG``) over the rows, run in the database; nothing walks a worker's history in Python. It reads the whole
history (up to the last quarter chosen) of the workers with a row in the quarters chosen. A page reads one
page of flagged rises, their count and the agencies ranked, each a query over the same statement.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import Lower, Trim

from agencies.models import Agency
from boroughs.models import Borough
from returns.models import Assignment

from .scope import PENNY, Scope, accepted_rows, quarter_label

EARLIEST = date(1900, 1, 1)  # a worker's earlier assignment may be in any earlier quarter
MOVE, RENEWAL = "move", "renewal"
KIND_LABELS = {MOVE: "Moved borough", RENEWAL: "Renewed in the same borough"}
NOT_NAMED = "Agency not named"


@dataclass(frozen=True)
class BiddingThreshold:
    """Where a rise becomes a sign of bidding up. ``both``: when the region set a percentage and an amount, a
    rise must pass both (else either)."""

    percent: Decimal | None
    pounds: Decimal | None
    both: bool = False
    set_by_region: bool = False

    def __str__(self) -> str:  # the figures cache's key (``cache.figure``)
        return f"{self.percent}_{self.pounds}_{'both' if self.both else 'either'}"

    @property
    def text(self) -> str:
        parts = []
        if self.percent is not None:
            parts.append(f"more than {self.percent.normalize():f}%")
        if self.pounds is not None:
            parts.append(f"more than £{self.pounds.quantize(PENNY)} an hour")
        joined = (" and " if self.both else " or ").join(parts)
        where = "set by the region" if self.set_by_region else "the portal's default: the region has set none"
        return f"A rise of {joined} from one assignment to the next ({where})."


DEFAULT = BiddingThreshold(percent=Decimal(10), pounds=None)


def threshold_for(region) -> BiddingThreshold:
    """The region's threshold, or ``DEFAULT`` when it has set none. One query."""
    from dashboards.models import BiddingUpThreshold

    own = BiddingUpThreshold.objects.filter(region=region).first() if region is not None else None
    if own is None:
        return DEFAULT
    return BiddingThreshold(own.rise_percent, own.rise_pounds, own.both, set_by_region=True)


@dataclass(frozen=True)
class Rise:
    registration_number: str
    kind: str  # MOVE or RENEWAL
    from_borough_id: int
    from_borough: str
    from_quarter: date
    from_start: date
    from_rate: Decimal
    to_borough_id: int
    to_borough: str
    to_quarter: date
    to_start: date
    to_rate: Decimal
    rise: Decimal
    percent: Decimal | None  # None when the earlier rate was 0
    agency_id: int | None
    agency: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def from_label(self) -> str:
        return quarter_label(self.from_quarter)

    @property
    def to_label(self) -> str:
        return quarter_label(self.to_quarter)


@dataclass(frozen=True)
class AgencyRises:
    agency_id: int | None
    agency: str
    flagged_workers: int
    workers: int  # distinct workers of the agency in accepted returns of the quarters chosen

    @property
    def share(self) -> Decimal | None:
        if not self.workers:
            return None
        return (Decimal(self.flagged_workers) * 100 / self.workers).quantize(Decimal("0.1"), ROUND_HALF_UP)


# --- The statement -------------------------------------------------------------------------------------


def _rises_sql(scope: Scope, threshold: BiddingThreshold) -> tuple[str, list]:
    """``WITH ... rises AS (...)``: every flagged rise whose new assignment first appears in the quarters of
    ``scope``, into ``scope.borough`` when it names one. The caller appends its SELECT from ``rises``."""
    base = (
        accepted_rows(Scope(EARLIEST, scope.end, region=scope.region))
        .exclude(registration_number="")
        .filter(start_date__isnull=False, hourly_pay_rate__isnull=False)
        .values(
            reg=F("registration_number"),
            borough_key=F("borough_id"),
            started=F("start_date"),
            rate=F("hourly_pay_rate"),
            quarter=F("ret__period__starts_on"),
            row_key=F("pk"),
        )
        .order_by()
    )
    base_sql, base_params = base.query.sql_with_params()
    conditions, params = [], []
    if threshold.percent is not None:
        conditions.append("(first_rate - prev_rate) * 100 > CAST(%s AS NUMERIC) * prev_rate")
        params.append(threshold.percent)
    if threshold.pounds is not None:
        conditions.append("(first_rate - prev_rate) > CAST(%s AS NUMERIC)")
        params.append(threshold.pounds)
    beyond = (" AND " if threshold.both else " OR ").join(conditions) or "1 = 1"
    where_borough = ""
    if scope.borough is not None:
        where_borough = " AND borough_key = %s"
        params.append(scope.borough.pk)
    # PostgreSQL sorts text by its collation's rules unless told otherwise; byte order is all a partition needs.
    reg = 'reg COLLATE "C"' if connection.vendor == "postgresql" else "reg"
    row = Assignment._meta.db_table
    # Only workers with a row in the quarters chosen (in the borough, for a borough's page) can have a rise there,
    # so the rows are cut to theirs before anything is sorted; their whole history up to the last quarter is
    # kept, so an earlier assignment from years before counts. The rows are read once (MATERIALIZED), and the
    # cut is a plain semi-join on them: left to itself, PostgreSQL misjudged a semi-join on the tables and
    # joined every worker to every quarter.
    present_borough = " AND borough_key = %s" if scope.borough is not None else ""
    sql = f"""
        WITH base AS MATERIALIZED ({base_sql}),
        present AS (
            SELECT DISTINCT reg FROM base WHERE quarter >= %s AND quarter <= %s{present_borough}
        ),
        ranked AS (
            SELECT reg, borough_key, started, rate,
                ROW_NUMBER() OVER assignment AS newest,
                LAST_VALUE(rate) OVER assignment AS first_rate,
                MIN(quarter) OVER assignment AS first_quarter,
                quarter, row_key
            FROM base WHERE reg IN (SELECT reg FROM present)
            WINDOW assignment AS (
                PARTITION BY {reg}, borough_key, started ORDER BY quarter DESC, row_key DESC
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            )
        ),
        pairs AS (
            SELECT reg, borough_key, started, first_rate, first_quarter, row_key,
                LAG(borough_key) OVER worker AS prev_borough,
                LAG(rate) OVER worker AS prev_rate,
                LAG(quarter) OVER worker AS prev_quarter,
                LAG(started) OVER worker AS prev_started
            FROM ranked WHERE newest = 1
            WINDOW worker AS (PARTITION BY {reg} ORDER BY started, first_quarter, borough_key)
        ),
        rises AS (
            SELECT pairs.*, newest_row.agency_id AS agency_key, newest_row.agency_name AS agency_text
            FROM pairs JOIN "{row}" newest_row ON newest_row.id = pairs.row_key
            WHERE prev_rate IS NOT NULL AND first_rate > prev_rate
                AND first_quarter >= %s AND first_quarter <= %s
                AND ({beyond}){where_borough}
        )
    """
    present_params = [scope.start, scope.end] + ([scope.borough.pk] if scope.borough is not None else [])
    return sql, [*base_params, *present_params, scope.start, scope.end, *params]


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(PENNY, ROUND_HALF_UP)


# Memory PostgreSQL may sort the rows in, for this statement only (the default, 4 MB, sends ten years of a
# region's rows to disk).
WORK_MEM = "64MB"


def _fetch(sql: str, params: list) -> list[tuple]:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # SET LOCAL lasts to the end of the transaction: the request's, or one of its own.
    with nullcontext() if connection.in_atomic_block else transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, params)
        return cursor.fetchall()


def count_rises(scope: Scope, threshold: BiddingThreshold) -> tuple[int, int]:
    """(flagged rises, distinct workers with one) in scope. One query."""
    sql, params = _rises_sql(scope, threshold)
    ((rises, workers),) = _fetch(sql + " SELECT COUNT(*), COUNT(DISTINCT reg) FROM rises", params)
    return rises, workers


def flagged_rises(scope: Scope, threshold: BiddingThreshold, offset: int = 0, limit: int = 50) -> list[Rise]:
    """Flagged rises in scope, newest quarter first and the largest rise first within it: ``limit`` of them
    from ``offset``. At most three queries (the rises; the boroughs' and the agencies' names)."""
    sql, params = _rises_sql(scope, threshold)
    rows = _fetch(
        sql
        + """ SELECT reg, prev_borough, prev_quarter, prev_started, prev_rate, borough_key, first_quarter, started,
                first_rate, agency_key, agency_text
            FROM rises ORDER BY first_quarter DESC, first_rate - prev_rate DESC, reg, started
            LIMIT %s OFFSET %s""",
        [*params, max(0, int(limit)), max(0, int(offset))],
    )
    borough_ids = {r[1] for r in rows} | {r[5] for r in rows}
    names = dict(Borough.objects.filter(pk__in=borough_ids).values_list("pk", "name"))
    agencies = dict(Agency.objects.filter(pk__in={r[9] for r in rows if r[9]}).values_list("pk", "name"))
    result = []
    for reg, prev_b, prev_q, prev_s, prev_rate, b, q, s, rate, agency_id, agency_text in rows:
        before, after = _money(prev_rate), _money(rate)
        rise = after - before
        percent = (rise * 100 / before).quantize(Decimal("0.1"), ROUND_HALF_UP) if before else None
        result.append(
            Rise(
                registration_number=reg,
                kind=RENEWAL if prev_b == b else MOVE,
                from_borough_id=prev_b,
                from_borough=names.get(prev_b, ""),
                from_quarter=_day(prev_q),
                from_start=_day(prev_s),
                from_rate=before,
                to_borough_id=b,
                to_borough=names.get(b, ""),
                to_quarter=_day(q),
                to_start=_day(s),
                to_rate=after,
                rise=rise,
                percent=percent,
                agency_id=agency_id,
                agency=agencies.get(agency_id) or (agency_text or "").strip() or NOT_NAMED,
            )
        )
    return result


def agencies_by_rises(scope: Scope, threshold: BiddingThreshold) -> list[AgencyRises]:
    """Agencies whose workers' new assignments show flagged rises, most flagged workers first, with the share
    of the agency's workers in the quarters chosen that this is. An agency not known to the portal is
    grouped by the name boroughs report (ignoring case and spaces round it). Four queries."""
    sql, params = _rises_sql(scope, threshold)
    grouped = _fetch(
        sql
        + """ SELECT agency_key, CASE WHEN agency_key IS NULL THEN LOWER(TRIM(agency_text)) END AS named,
                MIN(agency_text), COUNT(DISTINCT reg)
            FROM rises GROUP BY agency_key, CASE WHEN agency_key IS NULL THEN LOWER(TRIM(agency_text)) END""",
        params,
    )
    in_range = accepted_rows(Scope(scope.start, scope.end, region=scope.region, borough=scope.borough)).exclude(
        registration_number=""
    )
    workers: dict[tuple, int] = {}
    for g in (
        in_range.filter(agency__isnull=False)
        .values("agency_id")
        .annotate(n=Count("registration_number", distinct=True))
        .order_by()
    ):
        workers[(g["agency_id"], None)] = g["n"]
    for g in (
        in_range.filter(agency__isnull=True)
        .values(named=Lower(Trim("agency_name")))
        .annotate(n=Count("registration_number", distinct=True))
        .order_by()
    ):
        workers[(None, g["named"])] = g["n"]
    names = dict(Agency.objects.filter(pk__in={g[0] for g in grouped if g[0]}).values_list("pk", "name"))
    lines = [
        AgencyRises(
            agency_id,
            names.get(agency_id) or (text or "").strip() or NOT_NAMED,
            flagged,
            workers.get((agency_id, named), 0),
        )
        for agency_id, named, text, flagged in grouped
    ]
    return sorted(lines, key=lambda a: (-a.flagged_workers, -(a.share or 0), a.agency))
