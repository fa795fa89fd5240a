"""`make bench`: print performance figures for the portal.

Runs against a throwaway test database (created and destroyed here, on DATABASE_URL's server if set,
otherwise SQLite), never the development or production data. Figures are printed, not asserted: tests
assert query counts and behaviour; this is where speed is measured.
"""

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge_portal.settings")
os.environ.setdefault("SQLITE_TEST_NAME", "bench-db.sqlite3")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "100"))


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def time_page(client: Client, path: str) -> tuple[list[float], int]:
    client.get(path)  # warm caches and templates
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    settings.DEBUG = True
    reset_queries()
    client.get(path)
    queries = len(connection.queries)
    settings.DEBUG = False
    return timings, queries


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
        timings, queries = time_page(client, "/")
        print(
            f"  {Role(spec.role).label:<32} {statistics.median(timings):>10.1f} "
            f"{percentile(timings, 95):>8.1f} {queries:>8}"
        )


def main() -> int:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        settings.DEBUG = True  # the demo seed is refused in production mode
        call_command("load_authorities", verbosity=0)
        call_command("seed_demo", verbosity=0)
        settings.DEBUG = False
        bench_home_pages()
        print()
        from .rates import bench_rate_check_throughput

        bench_rate_check_throughput()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
