"""Dashboard pages on ten years of national-scale synthetic data (DESIGN.md section 8, issue: dashboards).

The database gets the synthetic national history first (``benchmarks.returns._history``: 153 authorities in
9 regions, about 7,000 live assignments at scale 1, ten years of accepted returns, and the dashboards'
per-return aggregates), then each dashboard page is requested ``BENCH_DASHBOARD_REPEATS`` times in-process
through Django's test client, as the person who would open it. Server time per request (median and 95th
percentile) and the page's query count are printed in three modes:

* ``rows``: the figures computed from every assignment row, as before the aggregates (cache off);
* ``computed``: the figures computed from the per-return aggregates (cache off): what a reader gets
  after any change of the data; the target is a 95th percentile under 150 ms on PostgreSQL;
* ``cached``: the figures kept by data version (``dashboards.cache``).

Growth: ``BENCH_SCALES=1,10`` runs the same pages on a history of each scale (10: ten times the assignments
of the national history, each on its own throwaway database) and prints the figures side by side, with the
size of the rows and of the aggregates, so where a figure is not flat shows.

Run it with ``make bench``, or alone (on a throwaway database, like ``make bench``) with
``python -m benchmarks.dashboards``. ``python -m benchmarks.dashboards --existing`` runs it on the database
``DATABASE_URL`` names instead, if it already holds the synthetic history (made with
``generate_synthetic_history --scale N``): for timing a large history without making it again. It adds the
three bench users there.
"""

import os
import statistics
import sys

REPEATS = int(os.environ.get("BENCH_DASHBOARD_REPEATS", "30"))
# Scales of the national history to time the dashboards on (BENCH_SCALES=1,10); the first one is make bench's
# shared history (BENCH_HISTORY_SCALE), each other one is made on a throwaway database of its own.
SCALES = [float(s) for s in os.environ.get("BENCH_SCALES", os.environ.get("BENCH_HISTORY_SCALE", "1")).split(",") if s]
TARGET_P95_MS = 150.0
LONDON = "E12000007"
CAMDEN = "E09000007"
# Which modes to time (BENCH_DASHBOARD_MODES=computed,cached leaves out the slow one on a large history).
MODES = [
    (mode, seconds)
    for mode, seconds in (("rows", 0), ("computed", 0), ("cached", 600))
    if mode in os.environ.get("BENCH_DASHBOARD_MODES", "rows,computed,cached").split(",")
]


def _people():
    """An analyst of London, a Camden submitter and a user of the agency with most rows, made if missing."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db.models import Count

    from agencies.models import Agency
    from boroughs.models import Borough, Region
    from pledge_portal.accounts.models import Membership, User
    from pledge_portal.accounts.roles import TWO_FACTOR_ROLES, Role

    london = Region.objects.get(code=LONDON)
    camden = Borough.objects.get(gss_code=CAMDEN)
    agency = Agency.objects.annotate(n=Count("assignments")).order_by("-n").first()
    people = {}
    for key, organisation, role in [
        ("analyst", london.organisation, Role.REGIONAL_ANALYST),
        ("borough", camden.organisation, Role.BOROUGH_SUBMITTER),
        ("agency", agency.organisation, Role.AGENCY_USER),
    ]:
        user, _ = User.objects.get_or_create(email=f"bench-{key}@pledge.test", defaults={"full_name": f"Bench {key}"})
        Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
        if role in TWO_FACTOR_ROLES and not Authenticator.objects.filter(user=user).exists():
            TOTP.activate(user, generate_totp_secret())  # as the real analyst has, or the page asks for one
        people[key] = user
    return london, camden, agency, people


class _FromRows:
    """Within the block, the aggregate-backed figures answer from the rows (as before the aggregates)."""

    def __enter__(self):
        from dashboards.figures import aggregated

        self.module, self.ready = aggregated, aggregated.ready
        aggregated.ready = lambda: False

    def __exit__(self, *exc):
        self.module.ready = self.ready


def _sizes() -> dict[str, int]:
    from dashboards.models import (
        AgencyFigures,
        BoroughFigures,
        PayFigures,
        RegionAgencyFigures,
        RegionPayFigures,
        ReturnFigures,
    )
    from history.synthetic import USER_EMAIL
    from returns.models import Assignment

    return {
        "assignment rows": Assignment.objects.filter(ret__created_by__email=USER_EMAIL).count(),
        "returns with figures": ReturnFigures.objects.count(),
        "borough and role figures": BoroughFigures.objects.count(),
        "agency figures": AgencyFigures.objects.count(),
        "pay-rate figures": PayFigures.objects.count(),
        "whole-region agency figures": RegionAgencyFigures.objects.count(),
        "whole-region pay-rate figures": RegionPayFigures.objects.count(),
    }


def bench_dashboards(scale: float | None = None) -> dict:
    """Print the figures, and return them: {(page, mode): (median ms, p95 ms, queries)} and the sizes. Needs
    London's authorities in the database; adds the synthetic history (at ``scale``) if absent."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from dashboards.aggregates import rebuild
    from history.synthetic import USER_EMAIL
    from returns.models import ReportingPeriod

    from .common import percentile, time_page
    from .returns import HISTORY_SCALE, _history

    scale = HISTORY_SCALE if scale is None else scale
    print(f"Dashboards on ten years of national history at scale {scale:g} ({connection.vendor}):")
    print(f"  {_history(scale)}")
    rebuild()  # nothing to do unless the history was made without its figures
    sizes = _sizes()
    print("  " + ", ".join(f"{n:,} {what}" for what, n in sizes.items()))
    london, camden, agency, people = _people()
    # The synthetic quarters (the demo's own, later ones, hold only a few returns): the last four, and all ten years.
    synthetic = list(
        ReportingPeriod.objects.filter(region=london, opened_by__email=USER_EMAIL)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
    )
    last_four = f"?from={synthetic[-4].isoformat()}&to={synthetic[-1].isoformat()}"
    ten_years = f"?from={synthetic[0].isoformat()}&to={synthetic[-1].isoformat()}"
    region_url = reverse("dashboards:region", kwargs={"pk": london.pk})
    borough_url = reverse("dashboards:borough", kwargs={"pk": camden.pk})
    agency_url = reverse("dashboards:agency", kwargs={"pk": agency.pk})
    pages = [
        ("regional, last 4 quarters", "analyst", region_url + last_four),
        ("regional, all quarters", "analyst", region_url + ten_years),
        ("regional CSV (breaches), all quarters", "analyst", region_url + ten_years + "&download=breaches"),
        ("borough (Camden), last 4 quarters", "borough", borough_url + last_four),
        ("borough (Camden), all quarters", "borough", borough_url + ten_years),
        ("agency (most rows), last 4 quarters", "agency", agency_url + last_four),
        ("agency (most rows), all quarters", "agency", agency_url + ten_years),
    ]
    print(f"  {len(synthetic)} synthetic London quarters; {REPEATS} requests per page; target: computed p95 < 150 ms")
    print("  'rows': figures computed from every assignment row (cache off), as before the per-return aggregates;")
    print("  'computed': figures computed from the aggregates (cache off), as any reader gets them after a change;")
    print("  'cached': figures kept by data version (dashboards.cache), once someone has opened the page")
    print(f"  {'page':<38} {'mode':<9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  verdict")
    configured = settings.DASHBOARD_CACHE_SECONDS
    results = {}
    for label, who, path in pages:
        client = Client()
        client.force_login(people[who])
        for mode, seconds in MODES:
            settings.DASHBOARD_CACHE_SECONDS = seconds
            cache.clear()
            if mode == "rows":
                with _FromRows():
                    timings, queries = time_page(client, path, repeats=REPEATS)
            else:
                timings, queries = time_page(client, path, repeats=REPEATS)
            median, p95 = statistics.median(timings), percentile(timings, 95)
            results[(label, mode)] = (median, p95, queries)
            verdict = ""
            if mode == "computed":
                verdict = "meets the target" if p95 < TARGET_P95_MS else "MISSES the target"
            print(f"  {label:<38} {mode:<9} {median:>10.1f} {p95:>8.1f} {queries:>8}  {verdict}")
    settings.DASHBOARD_CACHE_SECONDS = configured
    return {"pages": results, "sizes": sizes}


def print_growth(by_scale: dict[float, dict]) -> None:
    """The figures of each scale side by side: p95 and queries per page and mode, and the data's size."""
    scales = sorted(by_scale)
    if len(scales) < 2:
        return
    first, last = scales[0], scales[-1]
    print(f"Dashboards: growth from scale {first:g} to {last:g} (p95 ms, queries; ratio of p95)")
    heads = "".join(f"{f'{s:g}x p95':>11}{'q':>5}" for s in scales)
    print(f"  {'page':<38} {'mode':<9}{heads} {'ratio':>7}")
    for label, mode in by_scale[first]["pages"]:
        if any((label, mode) not in by_scale[s]["pages"] for s in scales):
            continue
        cells = "".join(
            f"{by_scale[s]['pages'][(label, mode)][1]:>11.1f}{by_scale[s]['pages'][(label, mode)][2]:>5}"
            for s in scales
        )
        ratio = by_scale[last]["pages"][(label, mode)][1] / max(by_scale[first]["pages"][(label, mode)][1], 0.1)
        print(f"  {label:<38} {mode:<9}{cells} {ratio:>6.1f}x")
    print(f"  {'size':<48}" + "".join(f"{f'{s:g}x':>16}" for s in scales) + f" {'ratio':>7}")
    for what in by_scale[first]["sizes"]:
        cells = "".join(f"{by_scale[s]['sizes'][what]:>16,}" for s in scales)
        ratio = by_scale[last]["sizes"][what] / max(by_scale[first]["sizes"][what], 1)
        print(f"  {what:<48}{cells} {ratio:>6.1f}x")


def bench_dashboards_at_scales(first: dict) -> None:
    """The dashboards at every other scale of ``BENCH_SCALES`` (``first`` holds the figures on the shared
    history, of ``BENCH_HISTORY_SCALE``), each on a throwaway database of its own, then the growth."""
    from .common import throwaway_database
    from .returns import HISTORY_SCALE

    by_scale = {HISTORY_SCALE: first}
    for scale in SCALES:
        if scale not in by_scale:
            with throwaway_database():
                by_scale[scale] = bench_dashboards(scale)
            print()
    print_growth(by_scale)


def main() -> int:
    """This benchmark alone, on a throwaway database (or the configured one with ``--existing``)."""
    from .common import setup_django, throwaway_database

    setup_django()
    if "--existing" in sys.argv[1:]:
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client's hosts
        bench_dashboards()
        return 0
    from .returns import HISTORY_SCALE

    with throwaway_database():
        first = bench_dashboards(HISTORY_SCALE)
    print()
    if set(SCALES) - {HISTORY_SCALE}:
        bench_dashboards_at_scales(first)
    return 0


if __name__ == "__main__":
    sys.exit(main())
