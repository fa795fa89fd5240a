"""A quarterly return from draft to accepted, in a real browser: the borough lead downloads the template,
uploads it back with a mistake, sees the check find it, corrects it in the browser, explains a query and
submits; the approver signs it off; the analyst accepts it."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role
from rates.models import RoleCategory
from returns import services
from returns.models import Return, WorkforceLine
from returns.spreadsheets import HEADERS, SHEET
from tests.factories import AgencyFactory, BoroughFactory, RegionFactory, user_with_role
from tests.rates.helpers import publish_card

from .conftest import artifact_path
from .test_sign_in import current_totp, sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


@pytest.fixture
def people():
    region = RegionFactory(name="London")
    borough = BoroughFactory(name="Camden", region=region)
    agency = AgencyFactory(name="Northgate Social Care Ltd")
    analyst = user_with_role(Role.REGIONAL_ANALYST, region.organisation, email=unique_email("analyst"))
    publish_card(region, analyst, effective_from=date(2025, 4, 1))
    lead = user_with_role(Role.BOROUGH_SUBMITTER, borough.organisation, email=unique_email("lead"))
    today = timezone.localdate()
    period = services.open_period(
        region=region,
        by=analyst,
        starts_on=date(2026, 7, 1),
        deadline=max(today + timedelta(days=14), date(2026, 10, 2)),
        locks_on=max(today + timedelta(days=30), date(2026, 10, 2)),
    )
    services.ensure_reporting_units(region=region)
    ret = services.start_return(unit=borough.reporting_units.get(), period=period, by=lead)
    services.save_assignment(
        ret=ret,
        by=lead,
        expected_revision=ret.revision,
        values={
            "borough": borough,
            "registration_number": "SW100001",
            "role": RoleCategory.objects.get(code="social-worker"),
            "agency_name": agency.name,
            "engagement_type": "umbrella",
            "start_date": date(2026, 5, 4),
            "hourly_pay_rate": Decimal("35.00"),
            "hourly_charge_rate": Decimal("43.00"),
            "pqe_years": Decimal("6"),
            "reference_received": True,
            "notice_period_weeks": 4,
        },
    )
    # The workforce section, complete: two agency social workers at the quarter's end (both rows).
    ret.refresh_from_db()
    figures = dict.fromkeys(WorkforceLine.FIGURES, 0)
    services.save_workforce(
        ret=ret,
        by=lead,
        expected_revision=ret.revision,
        lines={
            line.role_id: {**figures, "agency_headcount": 2, "agency_fte": 2}
            if line.role.code == "social-worker"
            else figures
            for line in ret.workforce.select_related("role")
        },
        totals={
            "agency_spend_month_1": Decimal("21000"),
            "agency_spend_month_2": Decimal("20500"),
            "agency_spend_month_3": Decimal("22000"),
            "project_teams": 0,
        },
    )
    return {
        "ret": ret,
        "lead": lead,
        "approver": user_with_role(Role.BOROUGH_APPROVER, borough.organisation, email=unique_email("approver")),
        "analyst": analyst,
        "agency": agency,
    }


def switch_user(page: Page, base_url: str, user, *, two_factor: bool = False) -> None:
    page.context.clear_cookies()
    sign_in(page, base_url, user.email)
    if two_factor:
        page.get_by_label("Code").fill(current_totp(user))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Menu")).to_be_visible()


def open_the_return(page: Page) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Returns").click()
    page.get_by_role("link", name="Camden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Camden's return")


def test_a_return_from_the_template_to_accepted(page: Page, live_server, people, tmp_path):
    base = live_server.url
    sign_in(page, base, people["lead"].email)
    open_the_return(page)

    # Download the template (it holds the existing row) and add a row without its hourly pay rate (a gap a
    # draft may hold) and with a notice period over four weeks. (A mistyped registration number is refused
    # at the door by the upload itself, cell by cell: tests/returns/test_spreadsheets.py.)
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the spreadsheet template")).click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook[SHEET]
    assert [c.value for c in sheet[1]][: len(HEADERS)] == HEADERS
    assert sheet.cell(row=2, column=HEADERS.index("Registration number") + 1).value == "SW100001"
    new = dict.fromkeys(HEADERS, None)
    new.update(
        {
            "Borough": "Camden",
            "Registration number": "SW200002",
            "Role": "Social worker",
            "Agency": people["agency"].name,
            "Engagement type": "PAYE",
            "Start date": date(2026, 7, 6),
            "Hourly pay rate (£)": None,
            "Hourly charge rate (£)": 39,
            "Project team": "No",
            "PQE (years)": 4,
            "References received": "Yes",
            "Notice period (weeks)": 8,
        }
    )
    sheet.append([new[h] for h in HEADERS])
    filled = tmp_path / "camden.xlsx"
    workbook.save(filled)

    page.get_by_role("link", name="Upload the spreadsheet").click()
    page.get_by_label("The completed template (.xlsx)").set_input_files(str(filled))
    page.get_by_label(re.compile("^Merge")).check()
    page.get_by_role("button", name="Upload the workbook").click()
    # The upload is a background job: its page follows it, then says what it loaded and what the check found.
    expect(page.get_by_text("Workbook loaded: 1 rows added, 1 updated")).to_be_visible(timeout=20_000)

    # The upload's check found the mistake (an error) and the long notice period (a query).
    page.get_by_role("link", name="See the findings").click()
    expect(page.get_by_role("heading", name="Errors")).to_be_visible(timeout=20_000)
    errors = page.get_by_role("table", name="Errors, by row")
    expect(errors).to_contain_text("Enter the hourly pay rate, in pounds.")
    page.screenshot(path=artifact_path("return-findings"), full_page=True)

    # Correct it in the browser, from the finding's link.
    errors.get_by_role("link", name="Row 2").click()
    page.get_by_label("Hourly pay rate (£)").fill("30.50")
    page.get_by_role("button", name="Save the assignment").click()
    expect(page.get_by_text("Row 2 saved")).to_be_visible()
    page.get_by_role("button", name="Check the return").click()
    expect(page.get_by_role("heading", name="Queries to explain")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("heading", name="Errors")).to_have_count(0)

    page.get_by_label("Your explanation").fill("Eight weeks agreed with the head of service for court work.")
    page.get_by_role("button", name=re.compile("Save the explanation")).click()
    expect(page.get_by_text("Explanation saved.")).to_be_visible()
    page.get_by_role("link", name="Back to the return").click()
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.get_by_text("What happens next")).to_be_visible()  # each step asks first
    page.get_by_role("button", name="Yes, submit for sign-off").click()
    expect(page.get_by_text("Return submitted.")).to_be_visible()

    # The approver signs it off; the analyst accepts it.
    switch_user(page, base, people["approver"], two_factor=True)
    open_the_return(page)
    page.get_by_role("button", name="Sign off the return").click()
    page.get_by_role("button", name="Yes, sign off the return").click()
    expect(page.get_by_text("Return signed off and sent to the regional team.")).to_be_visible()
    switch_user(page, base, people["analyst"], two_factor=True)
    open_the_return(page)
    page.get_by_role("button", name="Accept the return").click()
    page.get_by_role("button", name="Yes, accept the return").click()
    expect(page.get_by_text("Return accepted.")).to_be_visible()
    page.screenshot(path=artifact_path("return-accepted"), full_page=True)

    ret = Return.objects.get(pk=people["ret"].pk)
    assert ret.status == Return.Status.ACCEPTED
    assert sorted(ret.assignments.values_list("registration_number", flat=True)) == ["SW100001", "SW200002"]
    assert ret.snapshots.get().data["explanations"]
