"""Signs of bidding up and shared referee contacts on ten years of national synthetic history.

The bidding-up computation (``dashboards.figures.bidding``: one SQL statement of window functions over every
accepted row) is timed directly, for London and for the whole country, over the last four quarters and all
ten years, with the figures computed every time (no cache); then the region's and a borough's pages and the
shared-contacts page as their readers open them. Printed, not asserted.

Run it with ``make bench``, or alone (on a throwaway database) with ``python -m benchmarks.bidding``.
"""

import os
import statistics
import sys
import time

REPEATS = int(os.environ.get("BENCH_BIDDING_REPEATS", "10"))


def _timed(function, repeats: int) -> tuple[list[float], object]:
    result = function()  # warm
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        timings.append((time.perf_counter() - start) * 1000)
    return timings, result


def bench_bidding_up() -> None:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from dashboards.figures import Scope, bidding
    from history.synthetic import USER_EMAIL
    from returns.models import ReportingPeriod

    from .common import percentile, time_page
    from .dashboards import _people
    from .returns import _history

    print(f"Signs of bidding up on ten years of national history ({connection.vendor}):")
    print(f"  {_history()}")
    london, camden, _agency, people = _people()
    quarters = list(
        ReportingPeriod.objects.filter(region=london, opened_by__email=USER_EMAIL)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
    )
    threshold = bidding.DEFAULT
    print(f"  the computation alone, {REPEATS} runs each, threshold: {threshold.text}")
    print(f"  {'scope':<40} {'figure':<22} {'median ms':>10} {'p95 ms':>8}  result")
    for label, region in (("London", london), ("England (every region)", None)):
        for span, start in (("last 4 quarters", quarters[-4]), ("all quarters", quarters[0])):
            scope = Scope(start, quarters[-1], region=region)
            for name, function in (
                ("count", lambda scope=scope: bidding.count_rises(scope, threshold)),
                ("first page of 50", lambda scope=scope: len(bidding.flagged_rises(scope, threshold, 0, 50))),
                ("agencies ranked", lambda scope=scope: len(bidding.agencies_by_rises(scope, threshold))),
            ):
                timings, result = _timed(function, REPEATS)
                print(
                    f"  {label + ', ' + span:<40} {name:<22} {statistics.median(timings):>10.1f} "
                    f"{percentile(timings, 95):>8.1f}  {result}"
                )
    last_four = f"?from={quarters[-4].isoformat()}&to={quarters[-1].isoformat()}"
    pages = [
        ("bidding up, region, last 4", "analyst", reverse("dashboards:bidding-region", args=[london.pk]) + last_four),
        ("bidding up, Camden, last 4", "borough", reverse("dashboards:bidding-borough", args=[camden.pk]) + last_four),
        ("shared referee contacts, London", "analyst", reverse("references:shared-contacts", args=[london.pk])),
    ]
    print(f"  pages, {REPEATS} requests each ('computed': no figures cache)")
    print(f"  {'page':<34} {'mode':<9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    configured = settings.DASHBOARD_CACHE_SECONDS
    for label, who, path in pages:
        client = Client()
        client.force_login(people[who])
        for mode, seconds in (("computed", 0), ("cached", 600)):
            settings.DASHBOARD_CACHE_SECONDS = seconds
            cache.clear()
            timings, queries = time_page(client, path, repeats=REPEATS)
            print(
                f"  {label:<34} {mode:<9} {statistics.median(timings):>10.1f} "
                f"{percentile(timings, 95):>8.1f} {queries:>8}"
            )
    settings.DASHBOARD_CACHE_SECONDS = configured


def main() -> int:
    """This benchmark alone, on a throwaway database, as ``make bench`` runs it."""
    from .common import setup_django, throwaway_database

    setup_django()

    with throwaway_database():
        bench_bidding_up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
