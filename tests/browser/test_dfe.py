"""The DfE return in a real browser: the analyst builds the regional extract with the keyboard and downloads it;
the borough lead finds only their own borough's file. axe finds nothing on either page."""

import hashlib
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from dfe.models import DfeExtract
from pledge_portal.accounts.roles import Role

from .test_quarter import assert_accessible
from .test_returns import switch_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-media"


def test_the_analyst_builds_the_extract_and_the_lead_takes_their_boroughs_file(page: Page, live_server, london):
    side = london["side"]
    switch_user(page, live_server.url, side.users[Role.REGIONAL_ANALYST], two_factor=True)
    page.get_by_role("link", name="DfE return").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("DfE agency return")
    assert_accessible(page)
    page.get_by_role("link", name="2026-27 Q2").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DfE agency return, 2026-27 Q2")
    boroughs = page.get_by_role("table", name="Each borough's DfE return")
    expect(boroughs.get_by_role("row")).to_have_count(6)  # the header and five boroughs
    build = page.get_by_role("button", name="Build the regional extract")
    build.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Version 1 is built and ready to download.")).to_be_visible(timeout=60_000)
    versions = page.get_by_role("table", name="Versions of the regional extract")
    expect(versions).to_contain_text("Ready")
    expect(versions).to_contain_text("5 of 5 boroughs’ returns accepted")
    assert_accessible(page)
    extract = DfeExtract.objects.get()
    with page.expect_download() as download:
        versions.get_by_role("link", name="Workbook").click()
    body = download.value.path().read_bytes()
    assert hashlib.sha256(body).hexdigest() == extract.xlsx_sha256
    assert "Compliance" in load_workbook(io.BytesIO(body)).sheetnames

    switch_user(page, live_server.url, side.users[Role.BOROUGH_SUBMITTER])
    page.goto(live_server.url + f"/dfe/periods/{extract.period_id}/")
    boroughs = page.get_by_role("table", name="Each borough's DfE return")
    expect(boroughs.get_by_role("row")).to_have_count(2)
    expect(boroughs).to_contain_text("Camden")
    expect(page.get_by_role("heading", name="Regional extract")).to_have_count(0)
    assert_accessible(page)
    with page.expect_download() as download:
        boroughs.get_by_role("link", name="Return workbook").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert {row[1] for row in book["Assignments"].iter_rows(min_row=5, values_only=True)} == {"Camden"}
