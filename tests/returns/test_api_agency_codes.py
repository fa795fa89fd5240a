"""Agencies by code in the API: the register lists each agency's code, and a row may name its agency by it."""

import pytest
from django.urls import reverse

from agencies.models import Agency
from pledge_portal.accounts.roles import Role
from tests.factories import AgencyFactory

from . import test_api_limits
from .test_api_limits import put_rows
from .test_views import api_row


@pytest.fixture
def msp(world, client_for):
    return client_for(world.own.users[Role.MSP_USER])


@pytest.fixture
def msp_return(world):
    return test_api_limits.msp_return.__wrapped__(world)


@pytest.fixture
def twins(world):
    """Two agencies whose names differ only in their legal form: a name alone cannot tell them apart."""
    return AgencyFactory(name="Brightcare Social Work Ltd"), AgencyFactory(name="Brightcare Social Work LLP")


def test_the_register_lists_codes_and_finds_by_name_or_companies_house_number(world, client_for, twins):
    first, second = twins
    Agency.objects.filter(pk=second.pk).update(companies_house_number="01234567")
    lead = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    url = reverse("api-agencies")
    found = lead.get(url, {"name": "brightcare social"}).json()
    assert [a["id"] for a in found["results"]] == [second.pk, first.pk]  # by name: "LLP" sorts before "Ltd"
    assert lead.get(url, {"companies_house_number": "01234567"}).json()["results"] == [
        {"id": second.pk, "name": "Brightcare Social Work LLP", "companies_house_number": "01234567"}
    ]
    assert lead.get(url, {"name": "x" * 100_000}).status_code == 200  # a long query costs no more than a short one


@pytest.mark.parametrize("role", [Role.AGENCY_USER, Role.AGENCY_ADMIN, Role.STEERING_MEMBER])
def test_people_who_report_no_rows_cannot_list_the_register(world, client_for, role):
    assert client_for(world.own.users[role]).get(reverse("api-agencies")).status_code == 403


def test_a_row_sent_with_a_code_names_that_agency_exactly(world, msp, msp_return, twins):
    _first, second = twins
    response = put_rows(msp, msp_return, [api_row(world, agency="", agency_id=second.pk)])
    assert response.status_code == 200, response.content
    row = msp_return.assignments.get()
    assert (row.agency, row.agency_name) == (second, "Brightcare Social Work LLP")
    detail = msp.get(reverse("api-return", args=[msp_return.pk])).json()
    assert detail["assignments"][0]["agency_id"] == second.pk


def test_a_code_and_the_same_agencys_name_agree(world, msp, msp_return, twins):
    _first, second = twins
    response = put_rows(msp, msp_return, [api_row(world, agency="brightcare social work llp", agency_id=second.pk)])
    assert response.status_code == 200, response.content
    assert msp_return.assignments.get().agency == second


def test_an_unknown_code_or_a_name_of_another_agency_is_refused_by_row_and_nothing_loads(world, msp, msp_return, twins):
    _first, second = twins
    rows = [
        api_row(world),
        api_row(world, registration_number="SW556", agency_id=999_999),
        api_row(world, registration_number="SW557", agency="Someone Else Ltd", agency_id=second.pk),
    ]
    response = put_rows(msp, msp_return, rows)
    assert response.status_code == 400
    errors = response.json()["rows"]
    assert errors["1"] == {"agency_id": ["No agency on the register has the code 999999."]}
    assert "is not the name of agency" in errors["2"]["agency"][0]
    assert "0" not in errors
    assert not msp_return.assignments.exists()


def test_a_row_without_a_code_is_matched_by_name_as_before(world, msp, msp_return):
    response = put_rows(msp, msp_return, [api_row(world, agency=world.own.agency.name.upper())])
    assert response.status_code == 200
    assert msp_return.assignments.get().agency == world.own.agency
    assert response.json()["added"] == 1
