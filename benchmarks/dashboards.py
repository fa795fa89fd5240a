"""Dashboard pages on ten years of national-scale synthetic data (DESIGN.md section 8, issue: dashboards).

The database gets the synthetic national history first (``benchmarks.returns._history``: 153 authorities in
9 regions, about 7,000 live assignments, ten years of accepted returns), then each dashboard page is
requested ``BENCH_DASHBOARD_REPEATS`` times in-process through Django's test client, as the person who would
open it. Server time per request (median and 95th percentile) and the page's query count are printed.
Target: 95th percentile under 300 ms on PostgreSQL.

Run it with ``make bench``, or alone (on a throwaway database) with ``python -m benchmarks.dashboards``.
"""

import os
import statistics
import sys

REPEATS = int(os.environ.get("BENCH_DASHBOARD_REPEATS", "30"))
TARGET_P95_MS = 300.0
LONDON = "E12000007"
CAMDEN = "E09000007"


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


def bench_dashboards() -> None:
    """Print the figures. Needs London's authorities in the database; adds the synthetic history if absent."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from history.synthetic import USER_EMAIL
    from returns.models import ReportingPeriod

    from .common import percentile, time_page
    from .returns import _history

    print(f"Dashboards on ten years of national history ({connection.vendor}):")
    print(f"  {_history()}")
    london, camden, agency, people = _people()
    # The synthetic quarters (the demo's own, later ones, hold only a few returns): the last four, and all ten years.
    synthetic = list(
        ReportingPeriod.objects.filter(region=london, opened_by__email=USER_EMAIL)
        .order_by("starts_on")
        .values_list("starts_on", flat=True)
    )
    quarters = synthetic
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
    print(
        f"  {len(quarters)} synthetic London quarters; {REPEATS} requests per page; target p95 < {TARGET_P95_MS:.0f} ms"
    )
    print("  'computed': every request works out its figures (the cache is off); 'cached': figures kept by data")
    print("  version (dashboards.cache), as readers get them once someone has opened the page since the last change")
    print(f"  {'page':<38} {'mode':<9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  verdict")
    configured = settings.DASHBOARD_CACHE_SECONDS
    for label, who, path in pages:
        client = Client()
        client.force_login(people[who])
        for mode, seconds in (("computed", 0), ("cached", 600)):
            settings.DASHBOARD_CACHE_SECONDS = seconds
            cache.clear()
            timings, queries = time_page(client, path, repeats=REPEATS)
            p95 = percentile(timings, 95)
            verdict = "meets the target" if p95 < TARGET_P95_MS else "MISSES the target"
            print(f"  {label:<38} {mode:<9} {statistics.median(timings):>10.1f} {p95:>8.1f} {queries:>8}  {verdict}")
    settings.DASHBOARD_CACHE_SECONDS = configured


def main() -> int:
    """This benchmark alone, on a throwaway database, as ``make bench`` runs it."""
    from .common import setup_django, throwaway_database

    setup_django()

    with throwaway_database():
        bench_dashboards()
    return 0


if __name__ == "__main__":
    sys.exit(main())
