"""A compliance pack in a real browser: the analyst builds the regional pack with the keyboard, sees it ready
with its checksums, and downloads the PDF; the borough lead finds only their own borough's pack."""

import hashlib

import pytest
from playwright.sync_api import Page, expect

from packs.models import CompliancePack
from pledge_portal.accounts.roles import Role
from tests.factories import user_with_role

from .conftest import artifact_path
from .test_quarter import assert_accessible
from .test_returns import switch_user
from .test_sign_in import unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-media"


def test_the_analyst_builds_and_downloads_the_regional_pack(page: Page, live_server, london):
    side = london["side"]
    switch_user(page, live_server.url, side.users[Role.REGIONAL_ANALYST], two_factor=True)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Compliance packs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance packs")
    assert_accessible(page)  # the packs page too, not only a period's
    page.get_by_role("link", name="2026-27 Q2").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Compliance packs")

    which = page.get_by_label("Which pack")
    expect(which).to_have_value("")  # the regional pack first
    which.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Build the pack")).to_be_focused()
    page.keyboard.press("Enter")

    # Tasks run in process here, so the pack is ready when the page comes back (WeasyPrint takes a few
    # seconds, more on a busy machine).
    expect(page.get_by_text("Version 1 is built and ready to download.")).to_be_visible(timeout=60_000)
    regional = page.get_by_role("table", name="Regional pack")
    expect(regional).to_contain_text("Ready")
    expect(regional).to_contain_text("SHA-256")
    page.screenshot(path=artifact_path("packs-period"), full_page=True)
    assert_accessible(page)

    pack = CompliancePack.objects.get(borough=None)
    with page.expect_download() as download:
        regional.get_by_role("link", name="PDF").click()
    body = download.value.path().read_bytes()
    assert body.startswith(b"%PDF")
    assert hashlib.sha256(body).hexdigest() == pack.pdf_sha256
    assert download.value.suggested_filename.endswith("-v1.pdf")

    # The steering group member the pack is for finds it from the menu and takes the workbook.
    steering = user_with_role(Role.STEERING_MEMBER, side.region.organisation, email=unique_email("steering"))
    switch_user(page, live_server.url, steering)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Compliance packs").click()
    page.get_by_role("link", name="2026-27 Q2").first.click()
    expect(page.get_by_role("button", name="Build the pack")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("table", name="Regional pack").get_by_role("link", name="Excel workbook").click()
    assert hashlib.sha256(download.value.path().read_bytes()).hexdigest() == pack.xlsx_sha256


def test_a_borough_lead_sees_only_their_boroughs_pack(
    page: Page, live_server, london, django_capture_on_commit_callbacks
):
    from packs import services as pack_services
    from returns.models import ReportingPeriod

    side, boroughs = london["side"], london["boroughs"]
    period = ReportingPeriod.objects.get(region=side.region, starts_on="2026-07-01")
    with django_capture_on_commit_callbacks(execute=True):
        for borough in (boroughs[0], boroughs[1]):
            pack_services.request_pack(period=period, by=side.users[Role.REGIONAL_ANALYST], borough=borough)

    switch_user(page, live_server.url, side.users[Role.BOROUGH_APPROVER], two_factor=True)
    page.goto(live_server.url + f"/returns/packs/periods/{period.pk}/")
    borough_packs = page.get_by_role("table", name="Borough packs")
    expect(borough_packs).to_contain_text("Camden")
    expect(borough_packs).not_to_contain_text("Barnet")
    expect(page.get_by_role("button", name="Build the pack")).to_have_count(0)
