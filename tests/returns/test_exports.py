"""The DfE quarterly agency social worker return, made from a Pledge return, one file per borough."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from dfe import mapping
from pledge_portal.accounts.roles import Role
from rates.models import LocalRole, RoleCategory
from returns import exports, services
from returns.models import ReportingUnit

from .helpers import add_row, draft_return


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def joint(world):
    """A joint return of the own borough and its neighbour (as Kingston and Richmond make one)."""
    own = world.own
    unit = ReportingUnit.objects.create(region=own.region, name="Own joint unit")
    unit.boroughs.add(own.borough, own.msp_borough)
    return draft_return(own)


def rows_of(content: bytes) -> list[dict]:
    header, *rows = read_csv(content)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_rows_are_in_the_dfe_shape(world):
    own = world.own
    ret = draft_return(own)
    add_row(ret, own)
    add_row(
        ret,
        own,
        registration_number="sw 300 400",
        engagement_type="limited-company",
        start_date=date(2026, 1, 12),
        end_date=date(2026, 8, 28),
        hourly_pay_rate=Decimal("38.5"),
        hourly_charge_rate=Decimal("47.10"),
        project_team=True,
        pqe_years=Decimal("12.5"),
        reference_received=None,
    )
    content = exports.dfe_return_csv(ret, own.borough)
    assert read_csv(content)[0] == [f.heading for f in mapping.ASSIGNMENTS.fields]  # the one declared mapping
    first, second = rows_of(content)
    code = own.borough.dfe_code
    assert first == {
        "LA code": code,
        "LA name": "Own Borough",
        "Quarter": "2026-27 Q2",
        "Row": "1",
        "SWE registration number": "SW100200",
        "Role type": "social_worker",
        "Local role": "",
        "Agency": "Own Agency Ltd",
        "Payment route": "umbrella",
        "Assignment start date": "2026-05-04",
        "Assignment end date": "",
        "Hourly pay rate (£)": "35.00",
        "Hourly charge rate (£)": "42.00",
        "Project team or packaged model": "N",
        "PQE (years)": "5.00",
        "Notice period (weeks)": "4",
        "References received before start": "Y",
        "Price cap (£)": "36.40",
        "Price cap breach": "N",
        "Breach signed off on": "",
    }
    assert second["SWE registration number"] == "SW300400"
    assert (second["Payment route"], second["Assignment end date"], second["Hourly pay rate (£)"]) == (
        "ltd",
        "2026-08-28",
        "38.50",
    )
    assert (second["Project team or packaged model"], second["References received before start"]) == ("Y", "")
    # No card covered 12 January 2026 (the test card starts in April): no cap, so not judged.
    assert (second["Price cap (£)"], second["Price cap breach"]) == ("", "")


def test_a_local_role_is_reported_as_its_dfe_core_role(world):
    own = world.own
    ret = draft_return(own)
    local = LocalRole.objects.create(
        region=own.region,
        code="principal-social-worker",
        name="Principal social worker",
        core=RoleCategory.objects.get(code="advanced-practitioner"),
    )
    add_row(ret, own, role=local.core, local_role=local)
    [row] = rows_of(exports.dfe_return_csv(ret, own.borough))
    assert (row["Role type"], row["Local role"]) == ("advanced_practitioner", "Principal social worker")


def test_a_signed_off_breach_is_reported(world):
    own = world.own
    ret = draft_return(own)
    row = add_row(ret, own, hourly_pay_rate=Decimal("40.00"))
    services.sign_off_row_breach(
        ret=ret,
        by=own.users[Role.BOROUGH_APPROVER],
        assignment=row,
        reason="Court work",
        signed_by_title="DCS",
        chief_executive="A. Chief",
    )
    [line] = rows_of(exports.dfe_return_csv(ret, own.borough))
    assert line["Hourly pay rate (£)"] == "40.00" and line["Price cap breach"] == "Y"
    assert line["Breach signed off on"] == str(date.today())


def test_each_borough_of_a_joint_return_gets_only_its_own_rows(world, joint):
    own = world.own
    add_row(joint, own, registration_number="SW000001", borough=own.borough)
    add_row(joint, own, registration_number="SW000002", borough=own.msp_borough)
    add_row(joint, own, registration_number="SW000003", borough=own.borough)

    mine = read_csv(exports.dfe_return_csv(joint, own.borough))[1:]
    theirs = read_csv(exports.dfe_return_csv(joint, own.msp_borough))[1:]
    assert [(r[0], r[1], r[4]) for r in mine] == [
        (own.borough.dfe_code, "Own Borough", "SW000001"),
        (own.borough.dfe_code, "Own Borough", "SW000003"),
    ]
    assert [(r[0], r[1], r[4]) for r in theirs] == [(own.msp_borough.dfe_code, "Own MSP Borough", "SW000002")]


def test_a_return_with_no_rows_for_the_borough_gives_the_header_only(world, joint):
    add_row(joint, world.own, borough=world.own.borough)
    assert len(read_csv(exports.dfe_return_csv(joint, world.own.msp_borough))) == 1


def test_formula_like_values_are_neutralised(world):
    own = world.own
    ret = draft_return(own)
    add_row(ret, own, agency_name='=HYPERLINK("http://evil.example","click")')
    add_row(ret, own, registration_number="+SW1", agency_name="@SUM(1+1)")
    first, second = rows_of(exports.dfe_return_csv(ret, own.borough))
    assert first["Agency"] == '\'=HYPERLINK("http://evil.example","click")'
    assert second["SWE registration number"] == "'+SW1" and second["Agency"] == "'@SUM(1+1)"


def test_filename_names_the_borough_and_quarter(world):
    own = world.own
    ret = draft_return(own)
    assert exports.dfe_return_filename(ret, own.borough) == (
        f"dfe-agency-return-{own.borough.dfe_code}-own-borough-2026-27-q2.csv"
    )


def test_the_dfe_return_downloads_from_the_return_page(world, client_for):
    own = world.own
    ret = draft_return(own)
    add_row(ret, own)
    response = client_for(own.users[Role.BOROUGH_SUBMITTER]).get(
        reverse("returns:dfe-export", args=[ret.pk, own.borough.pk])
    )
    assert response.status_code == 200
    assert exports.dfe_return_filename(ret, own.borough) in response["Content-Disposition"]
    assert rows_of(response.content)[0]["SWE registration number"] == "SW100200"
