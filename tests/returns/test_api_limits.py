"""The returns API has the spreadsheet's limits (field lengths, rows, one row per assignment), states them in
its description, and refuses anything beyond them with JSON that says why, never an HTML page or a 500."""

import json

import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from returns import services

from .helpers import draft_return, good_row, unit_of
from .test_views import api_row


@pytest.fixture
def msp(world, client_for):
    return client_for(world.own.users[Role.MSP_USER])


@pytest.fixture
def msp_return(world):
    """The draft of the unit the own side's MSP serves, started by the MSP."""
    side = world.own
    period = draft_return(side).period  # with the region's caps published
    unit = type(unit_of(side)).objects.get(boroughs=side.msp_borough)
    return services.start_return(unit=unit, period=period, by=side.users[Role.MSP_USER])


def put_rows(client, ret, rows, **body):
    url = reverse("api-return-assignments", args=[ret.pk])
    payload = {"revision": ret.revision, "mode": "replace", "rows": rows, **body}
    return client.put(url, json.dumps(payload), content_type="application/json")


def test_an_agency_name_longer_than_the_spreadsheet_allows_is_refused(world, msp, msp_return):
    response = put_rows(msp, msp_return, [api_row(world, agency="A" * 1_000_000)])
    assert response.status_code == 400 and len(response.content) < 1000
    assert response.json()["rows"]["0"]["agency"] == ["Ensure this field has no more than 200 characters."]
    assert not msp_return.assignments.exists()


def test_refusals_never_repeat_a_long_value_sent(world, msp, msp_return):
    row = api_row(world, engagement_type="x" * 100_000, role="y" * 100_000, hourly_pay_rate="9" * 100_000)
    response = put_rows(msp, msp_return, [row, api_row(world, borough="E" * 100_000)], mode="z" * 100_000)
    assert response.status_code == 400 and len(response.content) < 2000, response.content[:2000]
    errors = response.json()
    assert errors["mode"] == ["Choose replace or merge."]
    assert errors["rows"]["0"]["engagement_type"] == ["Choose one of paye, umbrella, limited-company."]
    assert errors["rows"]["1"]["borough"] == ["No borough has that GSS code; send one like E09000007."]


def test_more_rows_than_the_spreadsheet_allows_are_refused_with_json_before_any_is_read(world, msp, msp_return):
    rows = [{"borough": "E"}] * (services.MAX_LOADED_ROWS + 1)
    response = put_rows(msp, msp_return, rows)
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["rows"] == {"non_field_errors": ["Ensure this field has no more than 20000 elements."]}


def test_the_service_refuses_more_rows_than_the_ceiling_whatever_the_channel(world, msp_return):
    with pytest.raises(services.ReturnError, match="Send at most 20,000 rows at once; 20,001 were sent."):
        services.load_assignments(
            ret=msp_return,
            by=world.own.users[Role.MSP_USER],
            expected_revision=msp_return.revision,
            rows=[{}] * (services.MAX_LOADED_ROWS + 1),
            mode="replace",
            source="api",
        )


def test_a_body_larger_than_django_s_form_limit_is_read_and_a_larger_one_refused_with_413(
    world, msp, msp_return, settings
):
    # Django refuses form bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with an HTML page; the API reads
    # bodies up to API_BODY_MAX_BYTES, room for the spreadsheet's 20,000 rows.
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    read = put_rows(msp, msp_return, [api_row(world)], padding=padding)
    assert read.status_code == 200, read.content[:500]
    settings.API_BODY_MAX_BYTES = 100_000
    msp_return.refresh_from_db()
    refused = put_rows(msp, msp_return, [api_row(world)] * 400)
    assert refused.status_code == 413 and refused["Content-Type"] == "application/json"
    assert refused.json() == {"detail": "The request body is larger than 97.7\xa0KB. Send less at once."}


def test_a_deeply_nested_body_is_refused_with_json_not_a_server_error(world, msp, msp_return):
    url = reverse("api-return-assignments", args=[msp_return.pk])
    for depth in (21, 100_000):
        response = msp.put(url, "[" * depth + "]" * depth, content_type="application/json")
        assert response.status_code == 400 and response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "The JSON is nested more than 20 levels deep. Send it flatter."}
    nested_twenty = "[" * 20 + "]" * 20  # allowed by the parser; the serializer says what is wrong with it
    response = msp.put(url, nested_twenty, content_type="application/json")
    assert response.status_code == 400 and "nested" not in response.json()["detail"]
    brackets_in_text = json.dumps({"revision": msp_return.revision, "mode": "replace", "rows": [], "x": "[" * 50})
    assert msp.put(url, brackets_in_text, content_type="application/json").status_code == 200


def test_rows_the_spreadsheet_refuses_as_the_same_assignment_are_refused_by_the_api(world, msp, msp_return):
    for mode in ("replace", "merge"):
        msp_return.refresh_from_db()
        rows = [api_row(world), api_row(world, registration_number="SW556"), api_row(world, pqe_years="9.0")]
        response = put_rows(msp, msp_return, rows, mode=mode)
        assert response.status_code == 400
        assert response.json()["rows"] == {
            "2": {
                "registration_number": [
                    "SW555 starting 2026-05-04 is also the row at index 0. Give each assignment one row."
                ]
            }
        }
        assert not msp_return.assignments.exists()
    rows[2]["start_date"] = "2026-06-01"  # another assignment of the same worker
    assert put_rows(msp, msp_return, rows).status_code == 200
    assert msp_return.assignments.count() == 3


def test_the_service_refuses_the_same_assignment_twice_whatever_the_channel(world):
    ret = draft_return(world.own)
    rows = [good_row(world.own), good_row(world.own, registration_number="sw 100200")]
    with pytest.raises(services.RepeatedAssignments) as refused:
        services.load_assignments(
            ret=ret,
            by=world.own.users[Role.BOROUGH_SUBMITTER],
            expected_revision=ret.revision,
            rows=rows,
            mode="merge",
            source="api",
        )
    assert str(refused.value) == (
        "Row 2 is the same assignment as row 1: SW100200 starting 04/05/2026. Give each assignment one row."
    )
    assert refused.value.repeats == [(1, 0)] and not ret.assignments.exists()


def test_the_api_description_states_the_limits(client_for, world):
    schema = client_for(world.own.users[Role.MSP_USER]).get(reverse("api-schema"), {"format": "json"}).json()
    fields = schema["components"]["schemas"]
    row = fields["Assignment"]["properties"]
    assert row["agency"]["maxLength"] == 200 and row["role"]["maxLength"] == 60
    assert row["registration_number"]["maxLength"] == 50
    assert fields["Load"]["properties"]["rows"]["maxItems"] == 20_000
    assert "10 MB" in schema["info"]["description"] and "20 levels deep" in schema["info"]["description"]
    assert "413" in schema["paths"]["/api/v1/returns/{id}/assignments/"]["put"]["responses"]


def test_sending_more_rows_costs_no_more_queries(world, msp, msp_return):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(count: int) -> int:
        msp_return.refresh_from_db()
        rows = [api_row(world, registration_number=f"SW{7000 + n}") for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            response = put_rows(msp, msp_return, rows)
        assert response.status_code == 200, response.content
        return len(queries)

    assert cost(3) == cost(30)  # 30 rows: one INSERT on SQLite too (it splits at its 999 parameters)
