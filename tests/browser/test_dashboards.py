"""The dashboards in a real browser: the analyst filters the regional dashboard with the keyboard, drills down
to a borough, and downloads a CSV; the borough and the agency each see their own. Full-page screenshots of
each dashboard land in test-artifacts/ for a person to look at."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role

from .conftest import artifact_path
from .test_quarter import assert_accessible
from .test_returns import switch_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def test_the_analyst_filters_drills_down_and_downloads(page: Page, live_server, london):
    side = london["side"]
    switch_user(page, live_server.url, side.users[Role.REGIONAL_ANALYST], two_factor=True)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    page.get_by_role("main").get_by_role("link", name="London", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("London dashboard")
    expect(page.get_by_role("img", name="Rows over the cap by borough")).to_be_visible()
    page.screenshot(path=artifact_path("dashboard-region"), full_page=True)
    assert_accessible(page)

    # The filters by keyboard alone: choose the South sub-region and team managers, then apply.
    page.get_by_label("Sub-region", exact=True).focus()
    page.keyboard.press("End")  # the last option: South
    page.keyboard.press("Tab")
    expect(page.get_by_label("Role", exact=True)).to_be_focused()
    page.get_by_label("Role", exact=True).select_option(label="Team manager")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Apply filters")).to_be_focused()
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Accepted returns from 2026-27 Q1 to 2026-27 Q2, South, Team manager only.")
    ).to_be_visible()
    breaches = page.get_by_role("table", name="Rows over the cap by borough")
    expect(breaches).to_contain_text("Croydon")
    expect(breaches).not_to_contain_text("Camden")

    with page.expect_download() as download:
        page.get_by_role("region", name="Breaches and their sign-offs").get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Borough" and [r[0] for r in rows[1:]] == ["Croydon", "Sutton"]
    # Croydon (the fourth borough) has 4 team manager rows a quarter at £42.10, within the £45.75 cap.
    assert rows[1][1:3] == ["8", "0"]

    # Order the agencies by breaches: the link keeps the filters and lands on the agencies panel.
    agencies = page.get_by_role("region", name="Agencies by assignments, breaches and reference turnaround")
    agencies.get_by_role("link", name="rows over the cap").click()
    expect(agencies.get_by_text("rows over the cap", exact=True)).to_have_js_property("tagName", "STRONG")
    expect(page).to_have_url(re.compile(r"sub_region=.*rank=breaches#panel-agencies$"))

    breaches.get_by_role("link", name="Croydon").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Croydon dashboard")
    expect(page).to_have_url(re.compile(r"\?from=.*&to=.*&role=team-manager$"))  # the filters came along
    expect(page.get_by_label("Role", exact=True)).to_have_value("team-manager")
    expect(page.get_by_role("link", name="Regional dashboard")).to_be_visible()


def test_the_borough_and_the_agency_see_their_own(page: Page, live_server, london):
    side = london["side"]
    switch_user(page, live_server.url, side.users[Role.BOROUGH_SUBMITTER])
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Camden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Camden dashboard")
    comparison = page.get_by_role("table", name="Camden beside the median borough of its sub-region and region")
    expect(comparison).to_contain_text("Region median")
    main = page.get_by_role("main")
    for other in ("Barnet", "Croydon", "Sutton"):
        expect(main).not_to_contain_text(other)
    page.screenshot(path=artifact_path("dashboard-borough"), full_page=True)
    assert_accessible(page)

    switch_user(page, live_server.url, side.users[Role.AGENCY_USER])
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    page.get_by_role("link", name="Northgate Social Care Ltd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Northgate Social Care Ltd dashboard")
    expect(page.get_by_role("table", name="Rows naming your agency in accepted returns, by borough")).to_contain_text(
        "Sutton"
    )
    expect(page.get_by_role("main")).not_to_contain_text("Brightcare")
    page.screenshot(path=artifact_path("dashboard-agency"), full_page=True)
    assert_accessible(page)
