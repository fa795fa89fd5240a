"""The rates API and public pages: open without sign-in, money as strings, clear 400s."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from rates.models import BreachSignOff

from .helpers import publish_card


@pytest.fixture
def london(world, settings):
    settings.DEFAULT_REGION_CODE = world.own.region.code
    cache.clear()
    return publish_card(world.own.region, world.own.users[Role.REGIONAL_ANALYST], effective_from=date(2025, 4, 1))


def ask(client, **body):
    question = {"role": "social-worker", "engagement_type": "paye", "date": "2026-06-01", "hourly_rate": "38.50"}
    return client.post(reverse("api-rates-check"), {**question, **body}, content_type="application/json")


def test_check_answers_with_money_as_strings(london, client_for):
    answer = ask(client_for(None)).json()
    assert answer["cap"] == "31.85" and answer["within_cap"] is False
    assert answer["excess"] == "6.65" and answer["excess_percent"] == "20.88"
    assert answer["rate_card"]["id"] == london.pk and answer["hourly_rate"] == "38.50"


def test_check_understands_pounds_signs_and_decimal_commas(london, client_for):
    assert ask(client_for(None), hourly_rate="£31,85").json()["within_cap"] is True


def test_a_huge_amount_is_not_echoed_back(london, client_for):
    response = ask(client_for(None), hourly_rate="9x" * 50_000)
    assert response.status_code == 400 and len(response.content) < 500
    assert response.json()["hourly_rate"] == [
        f"“{'9x' * 24}9…” is not an amount of money. Enter the hourly rate in pounds, like 38.50."
    ]


def test_bad_requests_get_a_message_per_field(london, client_for):
    response = ask(client_for(None), role="", engagement_type="freelance", date="31/02/2026", hourly_rate="abc")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"role", "engagement_type", "date", "hourly_rate"}
    assert "not an amount of money" in errors["hourly_rate"][0]


def test_unknown_role_and_uncovered_date_are_400s_naming_the_field(london, client_for):
    assert "role" in ask(client_for(None), role="astronaut").json()
    uncovered = ask(client_for(None), date="2020-01-01")
    assert uncovered.status_code == 400 and "No" in uncovered.json()["date"][0]


def test_a_signed_in_session_does_not_need_a_csrf_token_to_check(london, world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.own.users[Role.AGENCY_USER])
    assert ask(client).status_code == 200


def test_current_caps_and_card_history(london, client_for):
    current = client_for(None).get(reverse("api-rates-current")).json()
    assert current["version"] == london.version
    assert {line["role"]: line["paye_cap"] for line in current["lines"]}["team-manager"] == "40.00"
    cards = client_for(None).get(reverse("api-rates-cards")).json()
    assert [c["id"] for c in cards["results"]] == [london.pk]


def test_the_check_is_throttled(london, client_for, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "rates_anon": "3/min"},
    }
    client = client_for(None)
    statuses = [ask(client).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_check_page_explains_the_answer(london, client_for):
    page = client_for(None).get(
        reverse("rates:check"),
        {"role": "social-worker", "engagement_type": "umbrella", "date": "2026-06-01", "hourly_rate": "40"},
    )
    body = page.content.decode()
    assert "Over the cap" in body and "£40.00 an hour is £3.60 (9.89%) over the £36.40 cap" in body
    assert london.title in body


def test_check_page_errors_are_summarised(london, client_for):
    page = client_for(None).get(
        reverse("rates:check"),
        {"role": "social-worker", "engagement_type": "paye", "date": "2026-06-01", "hourly_rate": "38.505"},
    )
    assert page.status_code == 400
    assert 'href="#id_hourly_rate"' in page.content.decode()


def test_current_caps_page_is_public(london, client_for):
    body = client_for(None).get(reverse("rates:current")).content.decode()
    assert "£45.75" in body and "£40.00" in body  # team manager, both figures


def test_approver_signs_off_a_breach_and_it_is_audited(london, world, client_for):
    approver = world.own.users[Role.BOROUGH_APPROVER]
    form = {
        "registration_number": "sw123456",
        "role": "team-manager",
        "engagement_type": "limited-company",
        "assignment_start": "2026-05-01",
        "hourly_rate": "50.00",
        "reason": "Interim cover for an inspection",
        "signed_by_title": "Director of Children's Services",
        "chief_executive": "Pat Chief",
    }
    response = client_for(approver).post(reverse("rates:sign-off-create"), form)
    sign_off = BreachSignOff.objects.get()
    assert response["Location"] == reverse("rates:sign-off-detail", args=[sign_off.pk])
    assert (sign_off.registration_number, sign_off.cap, sign_off.excess) == (
        "SW123456",
        Decimal("45.75"),
        Decimal("4.25"),
    )
    assert sign_off.borough == world.own.borough and sign_off.rate_card == london
    again = client_for(approver).post(reverse("rates:sign-off-create"), form)  # a double-clicked submit
    assert again.status_code == 400 and "already signed off" in again.content.decode()
    within = client_for(approver).post(reverse("rates:sign-off-create"), {**form, "hourly_rate": "45.00"})
    assert within.status_code == 400 and "needs no sign-off" in within.content.decode()
    assert BreachSignOff.objects.count() == 1
    # The borough's submitter and the region's analyst read it; another borough does not.
    assert (
        client_for(world.own.users[Role.BOROUGH_SUBMITTER])
        .get(reverse("rates:sign-off-detail", args=[sign_off.pk]))
        .status_code
        == 200
    )
    assert (
        client_for(world.other.users[Role.BOROUGH_APPROVER])
        .get(reverse("rates:sign-off-detail", args=[sign_off.pk]))
        .status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.BOROUGH_SUBMITTER, Role.AGENCY_ADMIN, Role.REGIONAL_ANALYST])
def test_only_borough_approvers_sign_off(role, london, world, client_for):
    response = client_for(world.own.users[role]).post(reverse("rates:sign-off-create"), {})
    assert response.status_code == 403
