"""Every refusal under /api/ is JSON with a message, whether DRF or Django itself answers it."""

import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.core import api, parsers


@pytest.fixture
def agency(world, client_for):
    return client_for(world.own.users[Role.AGENCY_USER])


def test_an_address_that_does_not_exist_answers_json(agency):
    response = agency.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No such address in the API."}
    assert agency.get("/no-such-page/")["Content-Type"].startswith("text/html")  # pages keep their pages


def test_a_failure_answers_json(agency, monkeypatch):
    from references import api as references_api

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(references_api.ReferenceListApi, "get_queryset", fail)
    agency.raise_request_exception = False
    response = agency.get(reverse("api-references"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Something went wrong on our side")


def test_a_form_body_over_django_s_limit_answers_413_json(world, agency, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = agency.post(
        reverse("api-reference-requests"),
        "candidate_name=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("The request body is larger than")


def test_a_validation_refusal_carries_a_message_and_its_fields(world, agency):
    response = agency.post(
        reverse("api-reference-requests"),
        {"borough": "B" * 10_000, "registration_number": "SW42", "candidate_name": "C" * 1_000_000},
        content_type="application/json",
    )
    assert response.status_code == 400 and len(response.content) < 1000
    body = response.json()
    assert body["detail"] == "The request was not accepted: each field named here says why."
    assert body["borough"] == ["No borough has that GSS code; send one like E09000007."]
    assert body["candidate_name"] == ["Ensure this field has no more than 150 characters."]


def test_no_message_is_longer_than_the_bound():
    from rest_framework.exceptions import ValidationError

    response = api.exception_handler(ValidationError({"field": ["x" * 10_000]}), {})
    assert len(response.data["field"][0]) == api.MAX_MESSAGE


@pytest.mark.parametrize(
    "body, deeper",
    [
        (b"[]", False),
        (b'{"a": [[{"b": 1}]]}', False),
        (b"[" * 20 + b"]" * 20, False),
        (b"[" * 21 + b"]" * 21, True),
        (b"[{" * 11 + b"}]" * 11, True),
        (b'["' + b"[" * 100 + b'"]', False),  # brackets inside a string are text
        (b'["\\"' + b"[" * 100 + b'"]', False),  # even after an escaped quote
        (b"[" * 30, True),  # unbalanced and deep: refused before the parser would say so
    ],
)
def test_nesting_is_measured_without_parsing(body, deeper):
    assert parsers._deeper_than(body, 20) is deeper
