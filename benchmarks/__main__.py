"""`make bench`: print performance figures for the portal.

Runs against a throwaway test database (created and destroyed here, on DATABASE_URL's server if set,
otherwise SQLite), never the development or production data. ``BENCH_SCALES=1,10`` times the dashboards
again on ten times the national history (a throwaway database of its own) and prints their growth.
Figures are printed, not asserted: tests
assert query counts and behaviour; this is where speed is measured.
"""

import os
import statistics
import sys

from .common import percentile, setup_django, throwaway_database, time_page

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "100"))


def bench_home_pages() -> None:
    from pledge_portal.accounts.models import User
    from pledge_portal.accounts.roles import Role
    from pledge_portal.core.demo import demo_users

    print(f"Home page per role, server time over {REPEATS} requests (in-process, {connection.vendor})")
    print(f"  {'role':<32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    seen = set()
    for spec in demo_users():
        if spec.role in seen:
            continue
        seen.add(spec.role)
        client = Client()
        client.force_login(User.objects.get(email=spec.email))
        timings, queries = time_page(client, "/", repeats=REPEATS)
        print(
            f"  {Role(spec.role).label:<32} {statistics.median(timings):>10.1f} "
            f"{percentile(timings, 95):>8.1f} {queries:>8}"
        )


def main() -> int:
    from .bidding import bench_bidding_up
    from .dashboards import SCALES, bench_dashboards, bench_dashboards_at_scales
    from .dfe import bench_dfe_extract
    from .packs import bench_compliance_pack
    from .rates import bench_card_impact, bench_rate_check_throughput
    from .returns import HISTORY_SCALE, bench_returns_validation
    from .uploads import bench_hostile_uploads

    dashboards = {}
    with throwaway_database():
        for bench in (
            bench_home_pages,
            bench_rate_check_throughput,
            bench_returns_validation,
            bench_hostile_uploads,
            lambda: dashboards.update(bench_dashboards(HISTORY_SCALE)),  # the history the benches share
            bench_bidding_up,
            bench_compliance_pack,
            bench_dfe_extract,
            bench_card_impact,
        ):
            bench()
            print()
    if set(SCALES) - {HISTORY_SCALE}:  # BENCH_SCALES=1,10: the dashboards again on larger histories, and growth
        bench_dashboards_at_scales(dashboards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
