"""An agency user checks a rate in a real browser and reads the answer, as a person would."""

from datetime import date

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from pledge_portal.accounts.roles import Role
from tests.factories import AgencyFactory, RegionFactory, user_with_role
from tests.rates.helpers import publish_card

from .conftest import artifact_path
from .test_sign_in import sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


@pytest.fixture
def agency_user():
    region = RegionFactory(name="London")
    analyst = user_with_role(Role.REGIONAL_ANALYST, region.organisation, email=unique_email("analyst"))
    publish_card(region, analyst, effective_from=date(2025, 4, 1), title="London caps 2025")
    with override_settings(DEFAULT_REGION_CODE=region.code):
        yield user_with_role(Role.AGENCY_USER, AgencyFactory().organisation, email=unique_email("agency"))


def test_agency_user_checks_a_rate_and_reads_the_answer(page, live_server, agency_user):
    sign_in(page, live_server.url, agency_user.email)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Caps").click()
    page.get_by_role("main").get_by_role("link", name="Check a rate").click()  # from the caps page
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a rate against the cap")

    page.get_by_label("Role").select_option(label="Team manager")
    page.get_by_label("PAYE").check()
    page.get_by_label("Date", exact=True).fill("01/06/2026")
    page.get_by_label("Hourly pay rate (£)").fill("£41.20")
    page.get_by_role("button", name="Check the rate").click()

    result = page.locator("#rate-result")
    expect(result).to_contain_text("Over the cap")
    expect(result).to_contain_text("£41.20 an hour is £1.20 (3.00%) over the £40.00 cap")
    expect(page.get_by_text("London caps 2025")).to_be_visible()
    page.screenshot(path=artifact_path("rate-check-over"), full_page=True)

    page.get_by_label("Hourly pay rate (£)").fill("39,99")
    page.get_by_role("button", name="Check the rate").click()
    expect(page.locator("#rate-result")).to_contain_text("Within the cap")


def test_a_mistyped_rate_is_explained_in_the_error_summary(page, live_server, agency_user):
    page.goto(live_server.url + "/rates/check/")
    page.get_by_label("Role").select_option(label="Social worker")
    page.get_by_label("Umbrella company").check()
    page.get_by_label("Date", exact=True).fill("01/06/2026")
    page.get_by_label("Hourly pay rate (£)").fill("38.505")
    page.get_by_role("button", name="Check the rate").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("no more than 2 decimal places")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Hourly pay rate (£)")).to_be_focused()
