"""Working days in England: Monday to Friday, less England and Wales bank holidays.

Bank holidays come from the `holidays` package, which computes them (Easter, substitute days, the one-off
days it knows about) without a network call. Due dates for reference requests, and later for returns, are
counted here so every part of the portal agrees on them.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("Count working days forwards only.")
    current = start
    while days:
        current += timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``; negative if ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))
