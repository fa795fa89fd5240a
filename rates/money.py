"""Reading and writing money. Hourly rates are Decimal pounds, exact to the penny, never float."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pledge_portal.core.text import quote

PENNY = Decimal("0.01")
MAX_HOURLY_RATE = Decimal("500.00")

_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")  # 38,50 or 38,5: a comma used as the decimal point
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234.50


class MoneyError(ValueError):
    """Input that is not an amount of money we can read without guessing; the message says why."""


def parse_money(
    value, *, maximum: Decimal = MAX_HOURLY_RATE, what: str = "the hourly rate", per: str = " an hour"
) -> Decimal:
    """Read an hourly amount typed by a person or sent by a system: "£38.50", "38.5", "38,50", 38.5.

    Refuses, with a message saying what to do, anything it would have to guess at: more than two decimal
    places, letters, negative or zero amounts, or amounts above ``maximum`` an hour. Other amounts (a
    quarter's spend) pass their own ``maximum``, ``what`` ("the spend") and ``per`` ("")."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)  # 38.5 -> "38.5"; a float with hidden digits is caught by the places check
    elif isinstance(value, str):
        text = value
    else:
        raise MoneyError(f"Enter {what} as an amount in pounds, like 38.50.")
    text = text.strip().replace(" ", "").removeprefix("£").removeprefix("GBP")
    if not text:
        raise MoneyError(f"Enter {what}, like 38.50.")
    if text.startswith("-"):
        raise MoneyError(f"{what[0].upper()}{what[1:]} must be more than £0.")
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    elif _THOUSANDS.match(text):
        text = text.replace(",", "")
    elif not _PLAIN.match(text):
        raise MoneyError(f"“{quote(value)}” is not an amount of money. Enter {what} in pounds, like 38.50.")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyError(f"Enter {what} in pounds, like 38.50.") from exc
    try:
        pennies = amount.quantize(PENNY)
    except InvalidOperation:  # more digits than Decimal keeps: far more than any amount here
        pennies = None
    if pennies is not None and amount != pennies:
        raise MoneyError(f"Enter {what} in pounds and pence, with no more than 2 decimal places.")
    if amount <= 0:
        raise MoneyError(f"{what[0].upper()}{what[1:]} must be more than £0.")
    if pennies is None or amount > maximum:
        raise MoneyError(f"£{quote(f'{amount:,.2f}')}{per} is more than £{maximum:,.0f}. Check {what}.")
    return pennies


def pounds(amount: Decimal) -> str:
    """Two decimal places, as a string: the API's and exports' form for money."""
    return str(amount.quantize(PENNY, rounding=ROUND_HALF_UP))


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(PENNY, rounding=ROUND_HALF_UP)
