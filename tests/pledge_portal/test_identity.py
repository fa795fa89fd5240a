"""The Social Work England registration number: one reading of it for every channel (core.identity).

A table of the values people actually paste, then properties checked over many generated values: hidden
characters can sit anywhere in a pasted number, so a table alone cannot show that none of them survives."""

import re
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pledge_portal.core.identity import (
    HOW_TO_ENTER,
    MAX_DIGITS,
    MAX_INPUT_LENGTH,
    RegistrationNumber,
    RegistrationNumberError,
    is_registration_number,
    parse_registration_number,
)

STORED = re.compile(r"SW[0-9]{1,10}")
BOUNDED = settings(max_examples=200, deadline=None, database=None)  # fast, and writes no example database

ACCEPTED = {
    # value typed or pasted: (number stored, whether the person is told it was tidied)
    "plain": ("SW123456", "SW123456", False),
    "lower case": ("sw123456", "SW123456", False),
    "mixed case": ("sW123456", "SW123456", False),
    "one digit": ("SW1", "SW1", False),
    "ten digits": ("SW1234567890", "SW1234567890", False),
    "leading zeros kept": ("SW000123", "SW000123", False),
    "spaces": ("sw 123 456", "SW123456", True),
    "surrounding spaces": ("  SW123456 ", "SW123456", True),
    "no-break space": ("SW\u00a0123456", "SW123456", True),
    "narrow no-break space": ("SW\u202f123456", "SW123456", True),
    "tab and line break": ("SW\t123456\r\n", "SW123456", True),
    "zero-width space": ("SW\u200b123456", "SW123456", True),
    "zero-width joiner and non-joiner": ("S\u200dW123\u200c456", "SW123456", True),
    "byte order mark": ("\ufeffSW123456", "SW123456", True),
    "soft hyphen": ("SW123\u00ad456", "SW123456", True),
    "word joiner": ("SW\u2060123456", "SW123456", True),
    "direction marks": ("\u200fSW123456\u200e", "SW123456", True),
    "line separator": ("SW123456\u2028", "SW123456", True),
    "variation selector": ("SW123456\ufe0f", "SW123456", True),
    "fullwidth": ("ＳＷ１２３４５６", "SW123456", True),
    "fullwidth lower case": ("ｓｗ１２３", "SW123", True),
}

REFUSED = {
    # value: words the message must hold
    "Arabic-Indic digits": ("SW١٢٣٤٥٦", "digits other than 0 to 9"),
    "Eastern Arabic-Indic digits": ("SW۱۲۳۴۵۶", "digits other than 0 to 9"),
    "Devanagari digits": ("SW१२३४५६", "digits other than 0 to 9"),
    "one Arabic-Indic digit among ASCII ones": ("SW12٣456", "digits other than 0 to 9"),
    "eleven digits": ("SW12345678901", "too long for a registration number"),
    "empty": ("", HOW_TO_ENTER),
    "only spaces and hidden characters": (" \u200b\u00a0\ufeff", HOW_TO_ENTER),
    "only the prefix": ("SW", "has no digits"),
    "no prefix": ("123456", "is not a Social Work England registration number"),
    "another prefix": ("AB123456", "is not a Social Work England registration number"),
    "a letter among the digits": ("SW12X", "is not a Social Work England registration number"),
    "a hyphen": ("SW-123456", "is not a Social Work England registration number"),
    "over 50 characters": ("SW" + "1" * 49, "The registration number is too long"),
}


@pytest.mark.parametrize("value, number, corrected", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_a_number_is_stored_as_sw_and_ascii_digits_and_says_if_it_was_tidied(value, number, corrected):
    assert parse_registration_number(value) == RegistrationNumber(number=number, corrected=corrected)
    assert is_registration_number(number)


@pytest.mark.parametrize("value, words", REFUSED.values(), ids=REFUSED.keys())
def test_what_is_not_a_number_is_refused_saying_what_to_type(value, words):
    with pytest.raises(RegistrationNumberError) as refused:
        parse_registration_number(value)
    message = str(refused.value)
    assert words in message and "like SW123456" in message


def test_a_megabyte_is_refused_unread_and_not_quoted():
    value = "SW" + "\u200b1" * 500_000
    started = time.perf_counter()
    with pytest.raises(RegistrationNumberError) as refused:
        parse_registration_number(value)
    assert time.perf_counter() - started < 0.05
    assert str(refused.value) == f"The registration number is too long. {HOW_TO_ENTER}"


def test_a_message_quotes_at_most_twenty_characters():
    with pytest.raises(RegistrationNumberError) as refused:
        parse_registration_number("SW1" + "x" * (MAX_INPUT_LENGTH - 3))
    assert "“SW1xxxxxxxxxxxxxxxxx…”" in str(refused.value) and "x" * 21 not in str(refused.value)


def test_a_stored_number_is_recognised_without_tidying():
    assert is_registration_number("SW123456") and is_registration_number("SW1234567890")
    for value in ("sw123456", "SW 123456", "SW\u200b123456", "SW١٢٣", "SW12345678901", "SW", "", "SW123\n"):
        assert not is_registration_number(value)


# --- Properties --------------------------------------------------------------------------------------

INVISIBLE = [
    " ",
    "\t",
    "\n",
    "\u00a0",  # no-break space
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2060",  # word joiner
    "\u202f",  # narrow no-break space
    "\u3000",  # ideographic space
    "\ufe0f",  # variation selector 16
    "\ufeff",  # byte order mark
]
numbers = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["SW", "sw", "Sw", "sW"]),
    st.text(alphabet="0123456789", min_size=1, max_size=MAX_DIGITS),
)


@BOUNDED
@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_short_message(value):
    try:
        parsed = parse_registration_number(value)
    except RegistrationNumberError as refused:
        assert len(str(refused)) < 200 and "SW123456" in str(refused)
    else:
        assert STORED.fullmatch(parsed.number) and is_registration_number(parsed.number)


@BOUNDED
@given(st.text(alphabet=st.sampled_from([*"SWsw0123456789", *INVISIBLE, "٣", "१", "１", "x"]), max_size=30))
def test_reading_is_idempotent_and_gives_only_sw_and_ascii_digits(value):
    try:
        parsed = parse_registration_number(value)
    except RegistrationNumberError:
        return
    assert STORED.fullmatch(parsed.number)
    assert parse_registration_number(parsed.number) == RegistrationNumber(number=parsed.number, corrected=False)


@BOUNDED
@given(numbers, st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(INVISIBLE)), min_size=1, max_size=20))
def test_hidden_characters_anywhere_in_a_number_leave_the_same_number(number, insertions):
    value = number
    for position, character in insertions:
        at = position % (len(value) + 1)
        value = value[:at] + character + value[at:]
    assert parse_registration_number(value) == RegistrationNumber(number=number.upper(), corrected=True)


@BOUNDED
@given(numbers, st.characters(categories=["Nd"]).filter(lambda d: unicodedata.normalize("NFKC", d) not in "0123456789"))
def test_a_digit_of_another_script_is_never_accepted(number, digit):
    with pytest.raises(RegistrationNumberError, match="digits other than 0 to 9"):
        parse_registration_number(number[:3] + digit + number[3:])
