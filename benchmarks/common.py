"""What every benchmark shares: Django set up on a throwaway database, and timing a page in-process.

Figures are printed, not asserted: tests assert query counts and behaviour; benchmarks measure speed.
"""

import os
import time
from contextlib import contextmanager


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge_portal.settings")
    os.environ.setdefault("SQLITE_TEST_NAME", "bench-db.sqlite3")
    import logging

    import django

    django.setup()
    # Progress chatter (WeasyPrint's layout steps, each in-process task) would bury the figures.
    for name in ("weasyprint", "weasyprint.progress", "celery.app.trace", "kombu.connection"):
        logging.getLogger(name).setLevel(logging.ERROR)


@contextmanager
def throwaway_database():
    """A test database (on DATABASE_URL's server if set, otherwise SQLite) with London's authorities and the
    demo data, destroyed afterwards: never the development or production data."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        settings.DEBUG = True  # the demo seed is refused in production mode
        call_command("load_authorities", verbosity=0)
        call_command("seed_demo", verbosity=0)
        settings.DEBUG = False
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def time_page(client, path: str, *, repeats: int) -> tuple[list[float], int]:
    """Milliseconds per request over ``repeats`` requests (after one to warm caches), and the query count."""
    from django.conf import settings
    from django.db import connection, reset_queries

    client.get(path)  # warm caches and templates
    timings = []
    for _ in range(repeats):
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
