"""A 5,000-row return uploaded and checked against ten years of national history (DESIGN.md section 8).

The database gets the synthetic national history first (``history.synthetic``; reused if it is already
there), then one London borough's draft gets 5,000 rows in the shapes the history holds: mostly workers new
to the region, some coming back after earlier assignments, a few still working in another borough, a few
within the cool-off (declared, or found by the leavers register the history keeps), some over the cap or
under 3 years' PQE. Its template workbook is the upload.

Targets: reading the workbook (``returns.spreadsheets.read_upload``, through calamine), loading it
(``returns.services.load_workbook``) and running every rule (``returns.validation.run_validation``), as the
upload's background job does, takes under 10 s end to end, under 400 MB at its peak, and no longer than
openpyxl alone takes to read the same file (its read-only pass). A 20,000-row sheet (the ceiling: the
headings and 19,999 rows) goes from upload to every finding stored in under 5 s on PostgreSQL.

Each timing is the best of ``BENCH_RETURN_REPEATS`` runs, to damp noise on a shared machine;
memory is measured in a run of its own, as tracemalloc slows everything it watches.

Run it with ``make bench``, or alone (on a throwaway database, like ``make bench``) with
``python -m benchmarks.returns``.
"""

import io
import os
import random
import sys
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

from django.db import connection

UPLOAD_ROWS = int(os.environ.get("BENCH_UPLOAD_ROWS", "5000"))
HISTORY_YEARS = int(os.environ.get("BENCH_HISTORY_YEARS", "10"))
HISTORY_SCALE = float(os.environ.get("BENCH_HISTORY_SCALE", "1"))
REPEATS = int(os.environ.get("BENCH_RETURN_REPEATS", "3"))
SEED = 20161001
LONDON = "E12000007"
CAMDEN = "E09000007"
BENCH_USER = "bench-submitter@pledge.test"
TARGET_SECONDS, TARGET_MB, TARGET_RATIO = 10.0, 400.0, 1.0
CEILING_ROWS, CEILING_TARGET_SECONDS = 19_999, 5.0  # with its headings, the sheet's 20,000-row ceiling


def _history(scale: float | None = None) -> str:
    """Ten years of national history in the database (at ``scale``, else ``BENCH_HISTORY_SCALE``), made now
    unless it is already there."""
    from history.synthetic import USER_EMAIL, generate, synthetic_exists
    from returns.models import Assignment

    scale = HISTORY_SCALE if scale is None else scale
    if not synthetic_exists():
        print(f"  making {HISTORY_YEARS} years of synthetic national history (scale {scale:g})...", flush=True)
        summary = generate(years=HISTORY_YEARS, scale=scale, seed=1)
        print(
            f"  made {summary.rows:,} rows in {summary.returns:,} returns of {summary.authorities} authorities "
            f"in {summary.seconds:.0f} s"
        )
    rows = Assignment.objects.filter(ret__created_by__email=USER_EMAIL).count()
    return f"{rows:,} rows of history"


def _draft():
    """A London borough's draft for an open period, and a user who may change it."""
    from django.utils import timezone

    from boroughs.models import Borough
    from pledge_portal.accounts.models import Membership, User
    from pledge_portal.accounts.roles import Role
    from returns.models import ReportingPeriod, Return
    from returns.services import _quarter_end

    borough = Borough.objects.filter(gss_code=CAMDEN).first() or Borough.objects.filter(region__code=LONDON).first()
    unit = borough.reporting_units.get()
    user, _ = User.objects.get_or_create(email=BENCH_USER, defaults={"full_name": "Bench submitter"})
    Membership.objects.get_or_create(user=user, organisation=borough.organisation, role=Role.BOROUGH_SUBMITTER)
    today = timezone.localdate()
    period = (
        ReportingPeriod.objects.filter(region=unit.region, opens_on__lte=today, locks_on__gte=today, locked=False)
        .order_by("-starts_on")
        .first()
    )
    if period is None:  # no demo data: the quarter after the history's last
        last = ReportingPeriod.objects.filter(region=unit.region).order_by("-starts_on").first()
        starts_on = _quarter_end(last.starts_on) + timedelta(days=1)
        deadline = max(today, _quarter_end(starts_on)) + timedelta(days=30)
        period = ReportingPeriod.objects.create(
            region=unit.region,
            starts_on=starts_on,
            ends_on=_quarter_end(starts_on),
            opens_on=_quarter_end(starts_on) + timedelta(days=1),
            deadline=deadline,
            locks_on=deadline + timedelta(days=30),
            opened_by=user,
        )
    ret, _ = Return.objects.get_or_create(unit=unit, period=period, defaults={"created_by": user})
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.DRAFT)
    ret.refresh_from_db()
    return ret, borough, User.objects.get(pk=user.pk)


def _upload_rows(ret, borough, count: int) -> list:
    """``count`` rows for ``borough`` in ``ret``'s quarter, drawn like the history's."""
    from agencies.models import Agency
    from boroughs.models import Borough
    from history.synthetic import NOMINAL_CAPS, PREFIX, USER_EMAIL
    from rates.models import RoleCategory
    from returns.models import Assignment

    rng = random.Random(SEED)
    period = ret.period
    history = Assignment.objects.filter(ret__created_by__email=USER_EMAIL, ret__period__region=period.region)
    last_quarter = history.order_by("-ret__period__starts_on").values_list("ret__period", flat=True).first()
    live_elsewhere = list(
        history.filter(ret__period=last_quarter, end_date__isnull=True)
        .exclude(borough=borough)
        .values_list("registration_number", flat=True)
    )
    ended = list(
        history.filter(end_date__lt=period.starts_on - timedelta(days=60))
        .order_by("registration_number")
        .values_list("registration_number", flat=True)
        .distinct()[: count * 2]
    )
    from returns.models import Leaver

    left_elsewhere = list(
        Leaver.objects.filter(ret__period__region=period.region)
        .exclude(borough=borough)
        .order_by("-leaving_date", "registration_number")
        .values_list("registration_number", flat=True)[: count // 50]
    )
    rng.shuffle(live_elsewhere)
    rng.shuffle(ended)
    rng.shuffle(left_elsewhere)
    workers = live_elsewhere[: count // 100] + ended[: count // 10] + left_elsewhere[: count // 200]
    workers = list(dict.fromkeys(workers))
    workers += [f"SW95{n:05d}" for n in range(count - len(workers))]
    rng.shuffle(workers)
    roles = list(RoleCategory.objects.order_by("order"))
    agencies = list(Agency.objects.filter(organisation__slug__startswith=PREFIX).order_by("pk")[:40]) or [None]
    others = list(Borough.objects.filter(region=period.region).exclude(pk=borough.pk))
    days = (period.ends_on - period.starts_on).days
    rows = []
    for position, number in enumerate(workers, start=1):
        carried = rng.random() < 0.75
        start = period.starts_on - timedelta(days=rng.randint(1, 450)) if carried else None
        start = start or period.starts_on + timedelta(days=rng.randint(0, days))
        end = None
        if rng.random() < 0.2:
            first = max(start, period.starts_on)
            end = first + timedelta(days=rng.randint(0, (period.ends_on - first).days))
        role = rng.choices(roles, (50, 25, 12, 9, 4)[: len(roles)])[0]
        engagement = rng.choices(("umbrella", "limited-company", "paye"), (45, 35, 20))[0]
        inclusive, paye = NOMINAL_CAPS.get(role.code, (36.0, 31.5))
        cap = paye if engagement == "paye" else inclusive
        pay = cap * (rng.uniform(1.01, 1.1) if rng.random() < 0.02 else rng.uniform(0.86, 1.0))
        previous, left = None, None
        if others and rng.random() < 0.11:
            previous = rng.choice(others)
            gap = rng.randint(20, 150) if rng.random() < 0.1 else rng.randint(200, 1500)
            left = start - timedelta(days=gap)
        agency = rng.choice(agencies)
        rows.append(
            Assignment(
                ret=ret,
                position=position,
                borough=borough,
                registration_number=number,
                role=role,
                agency=agency,
                agency_name=agency.name if agency else "An Agency Ltd",
                engagement_type=engagement,
                start_date=start,
                end_date=end,
                hourly_pay_rate=Decimal(f"{pay:.2f}"),
                hourly_charge_rate=Decimal(f"{pay * rng.uniform(1.2, 1.4):.2f}"),
                project_team=rng.random() < 0.05,
                pqe_years=Decimal(f"{rng.uniform(1, 2.9) if rng.random() < 0.03 else rng.triangular(3, 30, 7):.1f}"),
                previous_employer=previous,
                left_previous_on=left,
                reference_received=rng.random() < 0.97,
                notice_period_weeks=rng.choices((4, 2, 6, 8), (88, 4, 5, 3))[0],
            )
        )
    return rows


def _upload_workbook(ret, borough, rows: int | None = None) -> bytes:
    """The draft's template with the 5,000 rows in it: exactly what a borough would fill in and upload."""
    from returns.models import Assignment
    from returns.spreadsheets import template_workbook

    ret.assignments.all().delete()
    ret.validation_runs.all().delete()  # a first upload: its Queries sheet is empty, whatever earlier runs found
    Assignment.objects.bulk_create(_upload_rows(ret, borough, rows or UPLOAD_ROWS), batch_size=1000)
    data = template_workbook(ret)
    ret.assignments.all().delete()
    return data


def _read_with_openpyxl(data: bytes) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = 0
    for sheet in workbook.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            rows += 1
    workbook.close()
    return rows


def _end_to_end(ret, user, data: bytes) -> dict:
    """Read, load and check, as the upload's background job does. Returns each step's seconds."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from returns.models import Return, ValidationRun
    from returns.services import load_workbook
    from returns.spreadsheets import read_upload
    from returns.validation import run_validation

    ret = Return.objects.select_related("unit", "period__region").get(pk=ret.pk)
    upload = SimpleUploadedFile(
        "return.xlsx", data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    times = {}
    start = time.perf_counter()
    rows, sections = read_upload(ret, upload)
    times["read_upload"] = time.perf_counter() - start
    mark = time.perf_counter()
    load_workbook(
        ret=ret,
        by=user,
        expected_revision=ret.revision,
        rows=rows,
        mode="replace",
        workforce=sections.workforce,
        totals=sections.totals,
        explanations=sections.explanations,
    )
    times["load_workbook"] = time.perf_counter() - mark
    mark = time.perf_counter()
    ret.refresh_from_db(fields=["revision"])
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    run_validation(run)
    times["run_validation"] = time.perf_counter() - mark
    times["end to end"] = time.perf_counter() - start
    times["rows"] = len(rows)
    times["errors"], times["queries"] = run.errors, run.queries
    times["register_matches"] = run.findings.filter(rule_code__in=["COOL-004", "COOL-005"]).count()
    return times


def _register_lookup(ret) -> tuple[float, int]:
    """The leavers register's part of the check alone (``leavers.matches_for_return``): seconds, and leavers
    on the region's register."""
    from returns.leavers import matches_for_return
    from returns.models import Leaver, Return

    ret = Return.objects.select_related("unit", "period__region").get(pk=ret.pk)
    rows = list(ret.assignments.all())
    start = time.perf_counter()
    matches_for_return(ret, rows)
    seconds = time.perf_counter() - start
    return seconds, Leaver.objects.filter(ret__period__region=ret.period.region_id).count()


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def bench_returns_validation() -> None:
    """Print the figures. Needs London's authorities in the database; adds the synthetic history if absent."""
    print(f"Return upload and check at national scale ({connection.vendor}):")
    history = _history()
    ret, borough, user = _draft()
    data = _upload_workbook(ret, borough)
    print(
        f"  {UPLOAD_ROWS:,}-row upload ({len(data) / 1e6:.1f} MB .xlsx) to {ret.unit}, {ret.period.label}, "
        f"against {history}"
    )

    openpyxl_best = min(_timed(_read_with_openpyxl, data) for _ in range(REPEATS))
    runs = [_end_to_end(ret, user, data) for _ in range(REPEATS)]
    best = min(runs, key=lambda r: r["end to end"])

    tracemalloc.start()
    tracemalloc.reset_peak()
    _end_to_end(ret, user, data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 1e6
    ratio = best["end to end"] / openpyxl_best

    print(f"  {'step':<40} {'seconds':>8}")
    print(f"  {'openpyxl alone (read-only, every row)':<40} {openpyxl_best:>8.2f}")
    for step in ("read_upload", "load_workbook", "run_validation"):
        print(f"  {step:<40} {best[step]:>8.2f}")
    print(
        f"  {'end to end':<40} {best['end to end']:>8.2f}   target under {TARGET_SECONDS:.0f} s: "
        f"{_verdict(best['end to end'] < TARGET_SECONDS)}"
    )
    print(
        f"  {'peak memory, end to end (tracemalloc)':<40} {peak_mb:>5.0f} MB   target under {TARGET_MB:.0f} MB: "
        f"{_verdict(peak_mb < TARGET_MB)}"
    )
    print(
        f"  {'end to end / openpyxl alone':<40} {ratio:>7.1f}x   target at most {TARGET_RATIO:.0f}x: "
        f"{_verdict(ratio <= TARGET_RATIO)}"
    )
    print(f"  the check found {best['errors']:,} errors and {best['queries']:,} queries in {best['rows']:,} rows")
    register = min(_register_lookup(ret)[0] for _ in range(REPEATS))
    on_register = _register_lookup(ret)[1]
    print(
        f"  {'leavers register lookup (in the check)':<40} {register:>8.3f}   {on_register:,} leavers on the "
        f"region's register; {best['register_matches']:,} rows found within a cool-off (COOL-004, COOL-005)"
    )
    _bench_ceiling(ret, borough, user)


def _bench_ceiling(ret, borough, user) -> None:
    """The largest sheet an upload may hold, from upload to every finding stored."""
    data = _upload_workbook(ret, borough, CEILING_ROWS)
    openpyxl_seconds = _timed(_read_with_openpyxl, data)
    times = _end_to_end(ret, user, data)
    steps = ", ".join(f"{step} {times[step]:.2f} s" for step in ("read_upload", "load_workbook", "run_validation"))
    print(
        f"  {CEILING_ROWS + 1:,}-row sheet ({len(data) / 1e6:.1f} MB), upload to all findings "
        f"({connection.vendor}): {times['end to end']:.2f} s ({steps}; openpyxl alone {openpyxl_seconds:.2f} s)"
        f"   target under {CEILING_TARGET_SECONDS:.0f} s: {_verdict(times['end to end'] < CEILING_TARGET_SECONDS)}"
    )


def _timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> int:
    """This benchmark alone, on a throwaway database, as ``make bench`` runs it."""
    from .common import setup_django, throwaway_database

    setup_django()
    with throwaway_database():
        bench_returns_validation()
    return 0


if __name__ == "__main__":
    sys.exit(main())
