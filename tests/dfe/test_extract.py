"""The region's DfE extract, built by a background job and stored with a checksum; the pages and API that hand
out a borough's file and the extract; who may download what (a borough never another borough's file)."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from dfe import services
from dfe.models import DfeExtract
from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from pledge_portal.jobs.models import TaskRun
from returns.models import ReportingUnit, Return

from .helpers import a_return, records, row
from .helpers import sheets as workbook


@pytest.fixture
def region_returns(world):
    """The own region's two boroughs: one accepted return with a breach, one draft (its MSP's borough)."""
    side = world.own
    ret = a_return(side, status=Return.Status.ACCEPTED, agency_spend_month_1=Decimal("100"))
    row(ret, side, 1)
    row(ret, side, 2, hourly_pay_rate=Decimal("40.00"))
    unit = ReportingUnit.objects.get(boroughs=side.msp_borough)
    theirs = Return.objects.create(unit=unit, period=ret.period, created_by=side.users[Role.MSP_USER])
    row(theirs, side, 1, borough=side.msp_borough, registration_number="SW222222")
    side.period = ret.period
    return side


def build(side, django_capture_on_commit_callbacks, by=None):
    with django_capture_on_commit_callbacks(execute=True):
        extract, reused = services.request_extract(period=side.period, by=by or side.users[Role.REGIONAL_ANALYST])
    extract.refresh_from_db()
    return extract, reused


def test_the_extract_is_built_in_the_background_and_stored_with_its_checksum(
    world, region_returns, django_capture_on_commit_callbacks
):
    side = region_returns
    extract, reused = build(side, django_capture_on_commit_callbacks)
    assert not reused and extract.status == DfeExtract.Status.READY and extract.version == 1
    assert extract.task_run.status == TaskRun.Status.SUCCEEDED
    with extract.xlsx.open("rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == extract.xlsx_sha256 and len(data) == extract.xlsx_size
    book = workbook(data)
    compliance = records(book["Compliance"])
    # A row per borough per rule, for every borough of the region.
    assert {(r["LA name"], r["Rule"]) for r in compliance} == {
        (b.name, rule) for b in (side.borough, side.msp_borough) for rule in {r["Rule"] for r in compliance}
    }
    assert len(compliance) == 12
    coverage = {r["LA name"]: (r["Return status"], r["Accepted by the region"]) for r in records(book["Coverage"])}
    assert coverage == {side.borough.name: ("Accepted", "Y"), side.msp_borough.name: ("Draft", "N")}
    assert extract.coverage["accepted"] == 1 and "1 of 2 boroughs’ returns accepted" in extract.coverage_text
    assert {r["SWE registration number"] for r in records(book["Assignments"])} == {"SW000001", "SW000002", "SW222222"}
    assert [(r["LA name"], r["Row"]) for r in records(book["Breaches"])] == [(side.borough.name, 2)]
    assert AuditEvent.objects.filter(action="dfe.extract_ready").count() == 1


def test_asking_again_reuses_the_extract_until_the_data_changes(
    world, region_returns, django_capture_on_commit_callbacks
):
    side = region_returns
    first, _ = build(side, django_capture_on_commit_callbacks)
    again, reused = build(side, django_capture_on_commit_callbacks)
    assert reused and again.pk == first.pk
    ret = Return.objects.get(unit__boroughs=side.borough, period=side.period)
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.RETURNED, revision=ret.revision + 1)
    second, reused = build(side, django_capture_on_commit_callbacks)
    assert not reused and second.version == 2 and second.data_version != first.data_version


def test_only_the_regions_analysts_build_it(world, region_returns):
    side = region_returns
    refused_to = (side.users[Role.STEERING_MEMBER], side.users[Role.BOROUGH_APPROVER])
    for refused in (*refused_to, world.other.users[Role.REGIONAL_ANALYST]):
        with pytest.raises(services.DfeError):
            services.request_extract(period=side.period, by=refused)
    assert not DfeExtract.objects.exists()


def test_a_failed_build_keeps_no_file(world, region_returns, monkeypatch, django_capture_on_commit_callbacks):
    side = region_returns

    def broken(content):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.files, "workbook", broken)
    with pytest.raises(RuntimeError):
        build(side, django_capture_on_commit_callbacks)
    extract = DfeExtract.objects.get()
    assert extract.status == DfeExtract.Status.FAILED and not extract.xlsx and "disk full" in extract.error


def test_the_build_page_and_the_download(world, region_returns, client_for, django_capture_on_commit_callbacks):
    side = region_returns
    analyst = client_for(side.users[Role.REGIONAL_ANALYST])
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst.post(reverse("dfe:extract-build", args=[side.period.pk]))
    assert response.status_code == 302
    extract = DfeExtract.objects.get()
    page = analyst.get(reverse("dfe:period", args=[side.period.pk])).content.decode()
    assert reverse("dfe:extract-download", args=[extract.pk]) in page and extract.xlsx_sha256 in page
    assert "1 of 2 boroughs’ returns accepted" in page
    steering = client_for(side.users[Role.STEERING_MEMBER])
    response = steering.get(reverse("dfe:extract-download", args=[extract.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == extract.xlsx_sha256
    assert AuditEvent.objects.filter(action="dfe.extract_downloaded", actor=side.users[Role.STEERING_MEMBER]).exists()
    # A borough's users do not get the region's extract, nor the button.
    borough = client_for(side.users[Role.BOROUGH_APPROVER])
    assert borough.get(reverse("dfe:extract-download", args=[extract.pk])).status_code == 403
    period_page = reverse("dfe:period", args=[side.period.pk])
    assert "Build the regional extract" not in borough.get(period_page).content.decode()
    assert "Build the regional extract" not in steering.get(period_page).content.decode()


def test_a_borough_downloads_its_own_file_and_never_another_boroughs(world, region_returns, client_for):
    side = region_returns
    client = client_for(side.users[Role.BOROUGH_SUBMITTER])
    own = client.get(reverse("dfe:borough", args=[side.period.pk, side.borough.pk]))
    assert own.status_code == 200 and own["Content-Disposition"].startswith("attachment")
    assert [r["SWE registration number"] for r in records(workbook(own.content)["Assignments"])] == [
        "SW000001",
        "SW000002",
    ]
    # Another borough of the same region, by page and by API, as a workbook and as CSV: not found.
    for name in ("dfe:borough", "dfe:borough-assignments", "api-dfe-borough", "api-dfe-borough-assignments"):
        assert client.get(reverse(name, args=[side.period.pk, side.msp_borough.pk])).status_code == 404, name
    # Another region's borough under one's own period, and one's own borough under another region's period.
    other = world.other
    assert client.get(reverse("dfe:borough", args=[side.period.pk, other.borough.pk])).status_code == 404
    other_ret = a_return(other)
    assert client.get(reverse("dfe:borough", args=[other_ret.period.pk, side.borough.pk])).status_code == 404
    page = client.get(reverse("dfe:period", args=[side.period.pk])).content.decode()
    assert side.borough.name in page and side.msp_borough.name not in page
    # The MSP that reports for the other borough does not get its statutory file.
    msp = client_for(side.users[Role.MSP_USER])
    assert msp.get(reverse("dfe:borough", args=[side.period.pk, side.msp_borough.pk])).status_code == 403
    events = AuditEvent.objects.filter(action="dfe.return_downloaded", actor=side.users[Role.BOROUGH_SUBMITTER])
    assert events.count() == 1


def test_the_region_sees_every_borough_with_its_status(world, region_returns, client_for):
    side = region_returns
    client = client_for(side.users[Role.STEERING_MEMBER])
    page = client.get(reverse("dfe:period", args=[side.period.pk])).content.decode()
    assert side.borough.name in page and side.msp_borough.name in page and "Not yet accepted" in page
    assert "1 of 2 boroughs listed here have their return accepted" not in page  # one has: singular wording
    assert "1 of 2 boroughs listed here has its return accepted" in page
    csv = client.get(reverse("dfe:borough-assignments", args=[side.period.pk, side.msp_borough.pk]))
    assert csv.status_code == 200 and b"SW222222" in csv.content
    data = client.get(reverse("api-dfe-period", args=[side.period.pk])).json()
    assert [(b["name"], b["return_status"]) for b in data["boroughs"]] == [
        (side.borough.name, "Accepted"),
        (side.msp_borough.name, "Draft"),
    ]
    assert data["census_date"] == date(2026, 9, 30).isoformat()
    api_file = client.get(data["boroughs"][0]["return_xlsx"])
    assert api_file.status_code == 200 and api_file["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_return_page_links_to_the_dfe_page(world, region_returns, client_for):
    side = region_returns
    ret = Return.objects.get(unit__boroughs=side.borough, period=side.period)
    page = client_for(side.users[Role.BOROUGH_SUBMITTER]).get(reverse("returns:detail", args=[ret.pk])).content.decode()
    assert reverse("dfe:period", args=[side.period.pk]) in page


def test_the_extract_renders_with_blank_rows_and_boroughs_without_a_return(
    world, client_for, django_capture_on_commit_callbacks
):
    from returns.models import Assignment

    side = world.own
    ret = a_return(side)  # the own borough's draft, with one row holding nothing but its borough
    Assignment.objects.create(ret=ret, position=1, borough=side.borough)
    side.period = ret.period  # the MSP's borough has no return at all
    extract, _ = build(side, django_capture_on_commit_callbacks)
    assert extract.status == DfeExtract.Status.READY
    with extract.xlsx.open("rb") as f:
        book = workbook(f.read())
    coverage = {r["LA name"]: r["Return status"] for r in records(book["Coverage"])}
    assert coverage == {side.borough.name: "Draft", side.msp_borough.name: "No return started"}
    assert len(records(book["Compliance"])) == 12 and records(book["Breaches"]) == []
    [blank] = records(book["Assignments"])
    assert blank["SWE registration number"] is None and blank["Price cap breach"] is None
    page = client_for(side.users[Role.REGIONAL_ANALYST]).get(reverse("dfe:period", args=[side.period.pk]))
    assert page.status_code == 200 and "No return started" in page.content.decode()
