"""Contact details on references: the referee's work email and phone (template version 3 on), and the
candidate's own, as the agency gives them. Checked and normalised here, once, for the answers form, the
request and upload forms, the API and the services alike; compared by their normalised keys (an email in
lower case, a phone number as its digits, a UK number written with +44 read as the 0 number), which
``Reference`` keeps in its own columns so the region's comparison is one grouped query.

A blank contact is never a key, so two references without one never match.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The questions of the template whose answers are the referee's contacts (version 3 on; earlier versions have
# one free-text "email or phone" answer, which is not compared).
REFEREE_EMAIL = "referee_email"
REFEREE_PHONE = "referee_phone"
EMAIL_MAX = 254
PHONE_MAX = 30
PHONE_DIGITS = (10, 15)  # a UK number has 10 or 11 digits; an international one at most 15
_PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ()./-]+$")


class ContactInvalid(ValueError):
    """The message says how to put it right."""


def clean_email(value, *, what: str = "the email address") -> str:
    """The address in stored form (trimmed, in lower case), or ``ContactInvalid``."""
    text = str(value or "").strip()
    if len(text) > EMAIL_MAX:
        raise ContactInvalid(f"Enter {what} in {EMAIL_MAX} characters or fewer")
    try:
        validate_email(text)
    except ValidationError:
        raise ContactInvalid(f"Enter {what} in the right form, like name@example.gov.uk") from None
    return text.lower()


def clean_phone(value, *, what: str = "the phone number") -> str:
    """The number as written (trimmed, spaces single), or ``ContactInvalid``: digits with spaces, brackets,
    dots or dashes, an optional leading +, 10 to 15 digits."""
    text = " ".join(str(value or "").split())
    digits = re.sub(r"\D", "", text)
    if (
        len(text) > PHONE_MAX
        or not _PHONE_CHARACTERS.match(text)
        or not (PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1])
    ):
        raise ContactInvalid(f"Enter {what} as a phone number, like 020 7946 0000 or +44 20 7946 0000")
    return text


def email_key(value) -> str:
    """An email address as it is compared ("" for none)."""
    return str(value or "").strip().lower()[:EMAIL_MAX]


def phone_key(value) -> str:
    """A phone number as it is compared: its digits, with +44 (or 0044) read as the UK 0 ("" for none)."""
    text = str(value or "").strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+44") or digits.startswith("0044"):
        digits = "0" + digits[4 if digits.startswith("0044") else 2 :].lstrip("0")
    return digits[: PHONE_DIGITS[1] + 1]


def contact_columns(answers: dict, *, candidate_email: str = "", candidate_phone: str = "") -> dict[str, str]:
    """The normalised contact columns of a ``Reference`` from its answers and the candidate's own contacts."""
    return {
        "referee_email": email_key(answers.get(REFEREE_EMAIL)),
        "referee_phone": phone_key(answers.get(REFEREE_PHONE)),
        "candidate_email": email_key(candidate_email),
        "candidate_phone": phone_key(candidate_phone),
    }
