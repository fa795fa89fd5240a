"""Working days around weekends and England's bank holidays."""

from datetime import date

import pytest

from pledge_portal.core.working_days import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2026, 11, 23), True),  # a Monday
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 12, 28), False),  # Boxing Day, observed on the Monday
        (date(2026, 8, 31), False),  # late summer bank holiday
        (date(2026, 3, 17), True),  # St Patrick's Day is a holiday in Northern Ireland, not in England
    ],
)
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_adding_working_days_skips_weekends_and_bank_holidays():
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Friday + 1 -> Monday
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)  # over Easter
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 30)  # over Christmas and Boxing Day
    assert add_working_days(date(2026, 11, 23), 0) == date(2026, 11, 23)


def test_counting_between_dates_matches_adding():
    start = date(2026, 12, 18)
    for n in range(15):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2026, 12, 30), date(2026, 12, 23)) == -3


def test_counting_backwards_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)
