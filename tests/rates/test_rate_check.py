"""The one rate check: the card in force on the day, the right cap for the engagement, exact pennies."""

from datetime import date
from decimal import Decimal

import pytest

from pledge_portal.accounts.roles import Role
from rates.models import LocalRole, RoleCategory
from rates.money import MoneyError, parse_money
from rates.selectors import RateCheckError, check_rate
from tests.factories import RegionFactory, user_with_role

from .helpers import publish_card


@pytest.fixture
def region(db):
    return RegionFactory()


@pytest.fixture
def analyst(region):
    return user_with_role(Role.REGIONAL_ANALYST, region.organisation)


@pytest.fixture
def cards(region, analyst):
    """2025-26 caps, then 2026-27 caps that start on 1 April 2026."""
    old = publish_card(
        region, analyst, effective_from=date(2025, 4, 1), title="2025-26", caps={"social-worker": ("35.00", "30.60")}
    )
    new = publish_card(region, analyst, effective_from=date(2026, 4, 1), title="2026-27")
    old.refresh_from_db()
    return old, new


def check(region, rate, *, on=date(2026, 6, 1), role="social-worker", engagement="limited-company"):
    return check_rate(role=role, engagement_type=engagement, on=on, hourly_rate=Decimal(rate), region=region)


def test_the_card_in_force_on_the_day_decides(region, cards):
    old, new = cards
    assert check(region, "36.00", on=date(2026, 3, 31)).rate_card == old  # last day of the old card
    assert check(region, "36.00", on=date(2026, 4, 1)).rate_card == new  # first day of the new one
    assert check(region, "36.00", on=date(2025, 4, 1)).cap == Decimal("35.00")  # first day of the old one
    assert old.effective_to == date(2026, 3, 31)


def test_no_card_before_the_first_one(region, cards):
    with pytest.raises(RateCheckError, match="No .* rate card covers 31 March 2025") as exc:
        check(region, "30.00", on=date(2025, 3, 31))
    assert exc.value.field == "date"


def test_paye_uses_the_lower_figure_and_umbrella_the_inclusive_one(region, cards):
    assert check(region, "31.85", engagement="paye").cap == Decimal("31.85")
    assert check(region, "31.85", engagement="umbrella").cap == Decimal("36.40")
    assert check(region, "31.85", engagement="limited-company").cap == Decimal("36.40")


def test_exactly_the_cap_is_within_and_one_penny_more_is_over(region, cards):
    at_cap = check(region, "36.40")
    assert at_cap.within_cap and at_cap.excess == Decimal("0.00") and at_cap.excess_percent == Decimal("0.00")
    over = check(region, "36.41")
    assert not over.within_cap and over.excess == Decimal("0.01") and over.excess_percent == Decimal("0.03")


def test_excess_in_pounds_and_percent_is_exact(region, cards):
    result = check(region, "40.00", engagement="paye")  # cap 31.85
    assert result.excess == Decimal("8.15")
    assert result.excess_percent == Decimal("25.59")  # 8.15 / 31.85 = 25.588...%


def test_a_local_role_uses_its_own_line_or_its_core_types(region, analyst, cards):
    core = RoleCategory.objects.get(code="advanced-practitioner")
    LocalRole.objects.create(region=region, code="principal-social-worker", name="Principal social worker", core=core)
    LocalRole.objects.create(region=region, code="assistant-team-manager", name="Assistant team manager", core=core)
    publish_card(region, analyst, effective_from=date(2027, 4, 1), caps={"principal-social-worker": ("43.00", "37.60")})
    own_line = check(region, "42.00", role="principal-social-worker", on=date(2027, 5, 1))
    assert own_line.cap == Decimal("43.00") and own_line.core_role == "advanced-practitioner"
    fallback = check(region, "42.00", role="assistant-team-manager", on=date(2027, 5, 1))
    assert fallback.cap == Decimal("41.60") and fallback.role_name == "Assistant team manager"


def test_unknown_roles_and_engagements_are_refused(region, cards):
    with pytest.raises(RateCheckError) as exc:
        check(region, "30.00", role="social-work-assistant")
    assert exc.value.field == "role"
    with pytest.raises(RateCheckError) as exc:
        check(region, "30.00", engagement="self-employed")
    assert exc.value.field == "engagement_type"


@pytest.mark.parametrize(
    "typed, pounds",
    [
        ("£38.50", "38.50"),
        ("38.5", "38.50"),
        ("38,50", "38.50"),
        ("38,5", "38.50"),
        (" 38 ", "38.00"),
        ("1,234.50", None),
        (38.5, "38.50"),
        (Decimal("38.5"), "38.50"),
        (40, "40.00"),
        ("GBP 39.99", "39.99"),
    ],
)
def test_money_is_read_as_a_person_means_it(typed, pounds):
    if pounds is None:  # more than the most an hour: refused, not misread
        with pytest.raises(MoneyError, match="more than £500"):
            parse_money(typed)
    else:
        assert parse_money(typed) == Decimal(pounds)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("38.505", "no more than 2 decimal places"),
        ("thirty", "not an amount of money"),
        ("-5", "more than £0"),
        ("0", "more than £0"),
        ("", "Enter the hourly rate"),
        ("38.5.0", "not an amount of money"),
        ("3,85,0", "not an amount of money"),
        (38.499999, "no more than 2 decimal places"),
        (True, "in pounds"),
    ],
)
def test_money_that_would_need_a_guess_is_refused(typed, message):
    with pytest.raises(MoneyError, match=message):
        parse_money(typed)
