"""The Social Work England registration number: what one is, and the one function that reads it.

A registration number identifies a worker across boroughs (DESIGN.md section 3, "Worker identity"). The
portal matches on it by plain equality in the database: the same worker on two rows of a return, the same
worker reported by another borough, the references a borough may read about a candidate proposed to it,
the breach sign-off that belongs to a row. Equality only works if every channel stores one spelling, so a
value is read by ``parse_registration_number`` once, where it comes in (a form, a spreadsheet cell, an API
field, a service called with a typed value), and what is stored is its ``number``. Numbers already stored
are compared as they are; ``is_registration_number`` says whether one has the stored spelling.

**What a number is**: "SW" followed by 1 to 10 of the digits 0 to 9. Social Work England numbers are SW and
six or seven digits in practice; the portal's own data goes from SW1 (tests) through SW9000001 (synthetic
history) to eight digits (demo data). Ten is where every database column that holds a number stops (12
characters), so anything accepted can be stored, and a digit too many is refused with a message rather
than failing on save. Leading zeros are kept: SW000123 and SW123 are different numbers.

**What is tidied** (``corrected`` is then True, so the channel can say so, for example "We removed a hidden
character from the registration number"):

- Unicode NFKC first, so the same characters typed in another form read as themselves: fullwidth
  "ＳＷ１２３" (East Asian keyboards), a ligature or a superscript digit become "SW123". This is not silent:
  it counts as a correction, like the removals below.
- Every space and invisible character is removed: Unicode categories Z* (spaces, including the no-break
  space), Cc (tabs, line breaks, other controls) and Cf (zero-width space, zero-width joiner and
  non-joiner, byte order mark, soft hyphen, direction marks), and the invisible marks outside them
  (variation selectors, the combining grapheme joiner, Hangul fillers). Copied from a web page, a PDF or a
  spreadsheet, they are never part of a number, and a stored one would make the same worker two workers.
- "sw" in any case becomes "SW". This alone is not reported as a correction.

**What is refused**, with a message saying what to type (``RegistrationNumberError``):

- Digits of other scripts: Arabic-Indic ٣, Devanagari ३ and the rest. ``\\d`` and ``str.isdigit()`` accept
  them, which is how a number that looks right would be stored in a spelling no other copy matches; and a
  number typed in another script was not copied from the register, so the person is asked to type it as
  the register shows it rather than the portal guessing.
- Anything else that is not SW and digits: another prefix, letters or punctuation among the digits, SW
  alone, more than ten digits.
- Input longer than 50 characters, before any work is done on it. A message never quotes more than 20
  characters of what was typed.
"""

import re
import unicodedata
from dataclasses import dataclass

PREFIX = "SW"
MAX_DIGITS = 10
MAX_INPUT_LENGTH = 50  # refused unread above this: a number with room for spaces and hidden characters
HOW_TO_ENTER = "Enter the Social Work England registration number as SW followed by digits, like SW123456."
_AS_SW_AND_DIGITS = "Enter the registration number as SW followed by digits, like SW123456."

_STORED = re.compile(rf"{PREFIX}[0-9]{{1,{MAX_DIGITS}}}")
_ASCII_DIGITS = frozenset("0123456789")
_REMOVED_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf"})
# Invisible characters outside those categories: combining grapheme joiner, Hangul fillers, variation selectors.
_INVISIBLE = frozenset(
    ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0"]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + [chr(c) for c in range(0xE0100, 0xE01F0)]
)
_QUOTED_CHARACTERS = 20


class RegistrationNumberError(ValueError):
    """The value is not a registration number. ``str(error)`` is a message for the person who typed it,
    saying what to type instead."""


@dataclass(frozen=True)
class RegistrationNumber:
    number: str  # "SW" and 1 to 10 digits 0-9: the spelling that is stored and compared
    corrected: bool  # spaces or hidden characters were removed, or characters folded by NFKC

    def __str__(self) -> str:
        return self.number


def parse_registration_number(value: str) -> RegistrationNumber:
    """Read a typed registration number: the number in its stored spelling, and whether anything beyond
    the letter case of "sw" had to be changed. Raises ``RegistrationNumberError`` for anything that is not
    one, an empty value included (a field that may be left blank checks for blank before calling)."""
    if _STORED.fullmatch(value):  # already in its stored spelling, as nearly every one is: nothing to tidy
        return RegistrationNumber(number=value, corrected=False)
    if len(value) > MAX_INPUT_LENGTH:
        raise RegistrationNumberError(f"The registration number is too long. {HOW_TO_ENTER}")
    kept = "".join(
        ch
        for ch in unicodedata.normalize("NFKC", value)
        if ch not in _INVISIBLE and unicodedata.category(ch) not in _REMOVED_CATEGORIES
    )
    corrected = kept != value
    if not kept:
        raise RegistrationNumberError(HOW_TO_ENTER)
    if kept[:2].lower() == "sw":
        kept = PREFIX + kept[2:]
    quoted = f"“{kept[:_QUOTED_CHARACTERS]}{'…' if len(kept) > _QUOTED_CHARACTERS else ''}”"
    not_a_number = f"{quoted} is not a Social Work England registration number. {_AS_SW_AND_DIGITS}"
    if not kept.startswith(PREFIX):
        raise RegistrationNumberError(not_a_number)
    digits = kept[len(PREFIX) :]
    if not digits:
        raise RegistrationNumberError(f"{quoted} has no digits. {_AS_SW_AND_DIGITS}")
    if any(ch not in _ASCII_DIGITS and unicodedata.decimal(ch, None) is not None for ch in digits):
        raise RegistrationNumberError(
            f"{quoted} has digits other than 0 to 9. Enter the registration number with the digits 0 to 9, as "
            "the Social Work England register shows it, like SW123456."
        )
    if not set(digits) <= _ASCII_DIGITS:
        raise RegistrationNumberError(not_a_number)
    if len(digits) > MAX_DIGITS:
        raise RegistrationNumberError(
            f"{quoted} is too long for a registration number. Enter SW followed by up to {MAX_DIGITS} digits, "
            "like SW123456."
        )
    return RegistrationNumber(number=kept, corrected=corrected)


def is_registration_number(value: str) -> bool:
    """Whether ``value`` is a registration number in its stored spelling (what ``parse_registration_number``
    returns), without tidying anything: for numbers already stored, before they are compared."""
    return _STORED.fullmatch(value) is not None
