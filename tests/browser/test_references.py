"""A reference from request to reading, in a real browser: an agency asks a borough, the borough writes it
on the template (keyboard and labels only), the agency reads it and proposes the candidate to a second
borough, which can then read it too."""

import pytest
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role
from references.models import Reference
from tests.factories import AgencyFactory, BoroughFactory, RegionFactory, user_with_role
from tests.references.helpers import ensure_reference_template

from .conftest import artifact_path
from .test_sign_in import sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


@pytest.fixture
def people():
    ensure_reference_template()
    region = RegionFactory(name="London")
    camden = BoroughFactory(name="Camden", region=region)
    islington = BoroughFactory(name="Islington", region=region)
    agency = AgencyFactory(name="Northgate Social Care Ltd")
    return {
        "agency": user_with_role(Role.AGENCY_USER, agency.organisation, email=unique_email("agency")),
        "camden": user_with_role(Role.BOROUGH_SUBMITTER, camden.organisation, email=unique_email("camden")),
        "islington": user_with_role(Role.BOROUGH_SUBMITTER, islington.organisation, email=unique_email("islington")),
    }


def switch_user(page: Page, base_url: str, user) -> None:
    page.context.clear_cookies()
    sign_in(page, base_url, user.email)
    expect(page.get_by_role("navigation", name="Menu")).to_be_visible()


def open_references(page: Page) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="References").click()


def answer(page: Page, question: str, option: str) -> None:
    page.get_by_role("group", name=question).get_by_label(option, exact=True).check()


def write_the_reference(page: Page) -> None:
    page.get_by_label("Employed from", exact=True).fill("09/01/2023")
    page.get_by_label("Job title", exact=True).fill("Senior social worker")
    answer(page, "How were they employed?", "Permanent")
    page.get_by_label("Why did they leave?").fill("Moved to agency work")
    page.get_by_label("Typical caseload size").fill("16 children")
    page.get_by_label("The complexity of the work they held").fill("Child protection and court work")
    for area in ("Assessment", "Planning", "Recording", "Working with children and families", "Multi-agency work"):
        answer(page, area, "Good")
    page.get_by_label("How did they use supervision and reflect on their practice?").fill("Used it well")
    for concern in ("conduct", "capability"):
        answer(page, f"Were there any {concern} concerns?", "No")
    answer(page, "Were there any safeguarding concerns about them?", "No")
    answer(page, "Are any investigations open?", "No")
    page.get_by_label("Days of sickness absence in their last 12 months of employment").fill("3")
    answer(page, "Would you employ them again?", "Yes")
    page.locator("#id_would_re_employ__details").fill("Without hesitation")
    page.get_by_label("Referee's name").fill("Rita Referee")
    page.get_by_label("Referee's job title").fill("Team manager")
    page.get_by_label("Referee's work email address").fill("rita@camden.example.test")
    page.get_by_label("Referee's work phone number").fill("020 7974 4444")


def test_a_reference_from_request_to_a_second_borough_reading_it(page, live_server, people):
    base = live_server.url
    # The agency asks Camden.
    sign_in(page, base, people["agency"].email)
    open_references(page)
    page.get_by_role("link", name="Request a reference").click()
    page.get_by_label("Borough that employed them").select_option(label="Camden")
    page.get_by_label("Social Work England registration number").fill("SW 123456")
    page.get_by_label("Candidate's full name").fill("Casey Candidate")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("Request sent to Camden")).to_be_visible()

    # Camden's submitter finds it in the queue; a first attempt with gaps is summarised, then completed.
    switch_user(page, base, people["camden"])
    open_references(page)
    page.get_by_role("link", name="Casey Candidate").click()
    page.get_by_role("link", name="Write the reference").click()
    page.get_by_label("Job title", exact=True).fill("Senior social worker")
    page.get_by_role("button", name="Send the reference").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Answer “Assessment”")
    summary.get_by_role("link", name="Answer “Employed from”").click()
    expect(page.get_by_label("Employed from", exact=True)).to_be_focused()
    expect(page.get_by_label("Job title", exact=True)).to_have_value("Senior social worker")
    write_the_reference(page)
    page.screenshot(path=artifact_path("reference-form"), full_page=True)
    page.get_by_role("button", name="Send the reference").click()
    expect(page.get_by_text("Reference sent.")).to_be_visible()
    assert Reference.objects.count() == 1

    # The agency reads it, downloads the PDF and proposes the candidate to Islington.
    switch_user(page, base, people["agency"])
    page.goto(base + "/references/")
    page.get_by_role("link", name="Casey Candidate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reference for Casey Candidate (SW123456)")
    expect(page.get_by_text("Without hesitation")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as PDF").click()
    assert download.value.suggested_filename.startswith("reference-sw123456-")
    page.goto(base + "/references/proposals/new/")
    page.get_by_label("Borough you are proposing them to").select_option(label="Islington")
    page.get_by_label("Social Work England registration number").fill("sw123456")
    page.get_by_label("Candidate's full name").fill("Casey Candidate")
    page.get_by_role("button", name="Propose the candidate").click()
    expect(page.get_by_text("Casey Candidate is proposed to Islington")).to_be_visible()

    # Islington can now read it, and its read is in the history the agency sees.
    switch_user(page, base, people["islington"])
    open_references(page)
    page.get_by_role("link", name="References you can read").click()
    page.get_by_role("link", name="Casey Candidate").click()
    expect(page.get_by_text("Rita Referee")).to_be_visible()
    page.screenshot(path=artifact_path("reference-read"), full_page=True)
    switch_user(page, base, people["agency"])
    page.goto(base + "/references/")
    page.get_by_role("link", name="Casey Candidate").click()
    history = page.get_by_role("table", name="Every action on this reference")
    expect(history).to_contain_text("Islington")
