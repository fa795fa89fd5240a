"""Browser tests: a real headless Chromium, driven through Playwright against pytest-django's live server.

Every test here is marked ``browser``. Chromium is Debian's (/usr/bin/chromium); Playwright's own browser
download is not used. When a test fails, a screenshot of its page lands in ``test-artifacts/``.
"""

import copy
import re
import uuid
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the ``page`` fixture knows whether its test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"


@pytest.fixture(autouse=True)
def own_cache_keys(settings):
    """allauth counts sign-in attempts per IP address in the cache, which is Redis when REDIS_URL is set:
    shared with other tests and kept between runs. A key prefix of the test's own starts every browser
    test at zero attempts, so many sign-ins from 127.0.0.1 in one minute cannot trip the limit. (The live
    server runs in this process, so it sees the changed setting.)"""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"browser-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the browser tests, shut down after the last of them.

    Playwright's sync API marks an asyncio event loop as running in the test thread for as long as it is
    started. Django therefore treats the test code as async: it would refuse ORM calls (the factories, the
    test's queries) as "unsafe from an async context", hence DJANGO_ALLOW_ASYNC_UNSAFE while the browser
    runs. Package scope, not session: the loop and the setting must not leak into the tests that run after
    these (they would see a running loop, and ``asyncio.run`` or ``async_to_sync`` would refuse to work).
    """
    require_service("Chromium", CHROMIUM.exists(), f"install Debian's chromium package ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
                # While the loop is marked running, Django keeps the thread's database connections apart from
                # the ones it uses without a loop. Close those now, while they can still be reached: otherwise
                # one stays open and PostgreSQL refuses to drop the test database at the end of the run.
                connections.close_all()


@pytest.fixture
def page(browser, request):
    """A fresh browser context (no cookies) per test, 1280x900; a screenshot is saved if the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            try:
                page.screenshot(path=str(artifact_path(f"FAILED-{request.node.name}")), full_page=True)
            except Exception as exc:  # the screenshot is a diagnostic; never hide the real failure
                print(f"Could not save a failure screenshot: {exc}")
        context.close()


class _Side:
    """Enough of tests.conftest.Side for the dashboard builders (tests/dashboards/dashboard_data.py)."""

    def __init__(self, region, borough, agency, users):
        self.region, self.borough, self.agency, self.users = region, borough, agency, users


@pytest.fixture
def london():
    """A region of five boroughs in two sub-regions, three agencies and two quarters of accepted returns
    with breaches, sign-offs, flags and a reference request: enough for every dashboard panel and a pack."""
    from datetime import date

    from pledge_portal.accounts.roles import Role
    from tests.dashboards.dashboard_data import Q1, Q2, Row, accepted_return, flag, reference_request, region_with_card
    from tests.factories import AgencyFactory, BoroughFactory, RegionFactory, SubRegionFactory, user_with_role
    from tests.rates.helpers import ensure_core_roles

    from .test_sign_in import unique_email

    ensure_core_roles()
    region = RegionFactory(name="London")
    north, south = SubRegionFactory(region=region, name="North"), SubRegionFactory(region=region, name="South")
    boroughs = [
        BoroughFactory(name=name, region=region, sub_region=sub)
        for name, sub in [
            ("Camden", north),
            ("Barnet", north),
            ("Enfield", north),
            ("Croydon", south),
            ("Sutton", south),
        ]
    ]
    agencies = [
        AgencyFactory(name=name) for name in ("Northgate Social Care Ltd", "Brightcare Staffing", "Hale Locums")
    ]
    users = {
        Role.REGIONAL_ANALYST: user_with_role(
            Role.REGIONAL_ANALYST, region.organisation, email=unique_email("analyst")
        ),
        Role.BOROUGH_SUBMITTER: user_with_role(
            Role.BOROUGH_SUBMITTER, boroughs[0].organisation, email=unique_email("lead")
        ),
        Role.BOROUGH_APPROVER: user_with_role(
            Role.BOROUGH_APPROVER, boroughs[0].organisation, email=unique_email("approver")
        ),
        Role.AGENCY_USER: user_with_role(Role.AGENCY_USER, agencies[0].organisation, email=unique_email("agency")),
    }
    side = region_with_card(_Side(region, boroughs[0], agencies[0], users))
    for n, borough in enumerate(boroughs):
        for quarter in (Q1, Q2):
            rows = [
                Row("34.50", agency=agencies[0]),
                Row("35.80", agency=agencies[1]),
                Row("38.20", agency=agencies[n % 3], signed_off=n % 2 == 0),
                Row("31.00", engagement="paye", agency=agencies[2]),
                *[Row("42.10", role="team-manager", agency=agencies[1])] * (n + 1),
            ]
            built = accepted_return(
                side,
                borough,
                quarter,
                rows,
                workforce={"social-worker": (str(3 + n), "40"), "team-manager": ("1", str(6 + n))},
                spend=(f"{20000 + 1500 * n}.00", f"{21000 + 1200 * n}.00", f"{19500 + 900 * n}.00"),
            )
            flag(built, [(0, "PQE-001"), (1, "COOL-001")] if n % 2 else [(2, "CROSS-001")])
    reference_request(side, boroughs[1], asked=date(2026, 7, 6), answered=date(2026, 7, 9))
    return {"side": side, "boroughs": boroughs, "agencies": agencies}
