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
