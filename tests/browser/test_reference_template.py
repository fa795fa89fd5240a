"""An analyst drafts the next version of the reference template, changes a question, previews it as referees
will see it and publishes it; an agency user checks a candidate's cool-off before proposing them."""

import pytest
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role
from references.selectors import current_template
from tests.factories import AgencyFactory, BoroughFactory, RegionFactory, user_with_role
from tests.references.helpers import ensure_reference_template

from .test_quarter import assert_accessible
from .test_sign_in import current_totp, sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def test_an_analyst_publishes_a_new_template_version_in_the_browser(page: Page, live_server):
    ensure_reference_template()
    region = RegionFactory(name="London")
    analyst = user_with_role(Role.REGIONAL_ANALYST, region.organisation, email=unique_email("analyst"))
    sign_in(page, live_server.url, analyst.email)
    page.get_by_label("Code").fill(current_totp(analyst))
    page.get_by_role("button", name="Continue").click()
    page.goto(live_server.url + "/references/templates/")
    assert_accessible(page)
    page.get_by_role("button", name="Draft the next version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change the draft of version 4")
    assert_accessible(page)
    page.get_by_label("Title").fill("London practice-based reference")
    page.get_by_label("What changed from the previous version").fill("A clearer question on supervision.")
    page.locator("#id_q-0-label").fill("Employed from (first day)")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_text("Nothing typed here is saved")).to_be_visible()
    expect(page.get_by_text("Employed from (first day)")).to_be_visible()  # the preview, as referees see it
    assert_accessible(page)
    page.get_by_role("button", name="Publish version 4").click()
    expect(page.get_by_text("Version 4 is published")).to_be_visible()
    assert current_template().version == 4


def test_an_agency_checks_a_cool_off_in_the_browser(page: Page, live_server):
    region = RegionFactory(name="London")
    BoroughFactory(name="Camden", region=region)
    agency = AgencyFactory(name="Northgate Social Care Ltd")
    user = user_with_role(Role.AGENCY_USER, agency.organisation, email=unique_email("agency"))
    sign_in(page, live_server.url, user.email)
    page.goto(live_server.url + "/references/proposals/")
    page.get_by_role("link", name="Check a candidate's cool-off").click()
    page.get_by_label("Social Work England registration number").fill("SW123456")
    page.get_by_label("Borough you would propose them to").select_option(label="Camden")
    page.get_by_label("Date they would start").fill("01/07/2026")
    page.get_by_role("button", name="Check the cool-off").click()
    expect(page.get_by_text("No borough has reported this worker leaving")).to_be_visible()
    assert_accessible(page)
