"""Matching the agency name a borough typed to the agency register.

Boroughs type names as they know them: "BrightCare Social Work Limited", "Brightcare social work ltd.",
"Brightcare & Co". One key per name (``match_key``) makes spelling of case, punctuation, "&" and a trailing
legal form (Ltd, Limited, LLP, PLC) not matter; a near miss (``Register.closest``) is offered, never assumed.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

LEGAL_FORMS = {"limited", "ltd", "llp", "plc", "llc", "lp", "cic", "co", "company", "uk"}
NEAR = 0.85  # how alike two keys must be for one to be offered as the other (difflib's ratio)
MAX_NAME = 200


def match_key(name: str) -> str:
    """The name reduced to what identifies the agency: NFKC, case folded, "&" as "and", punctuation dropped,
    trailing legal forms dropped ("Brightcare Social Work Ltd." and "brightcare social work" are one key)."""
    text = unicodedata.normalize("NFKC", (name or "")[:MAX_NAME]).casefold().replace("&", " and ")
    words = re.sub(r"[^\w\s]", " ", text).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


@dataclass
class Register:
    """The agency register by match key, read in one query."""

    by_key: dict[str, object] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "Register":
        from .models import Agency

        register = cls()
        for agency in Agency.objects.order_by("pk").only("pk", "name", "organisation_id"):
            register.by_key.setdefault(match_key(agency.name), agency)
        return register

    def find(self, name: str):
        """The agency this name means, or None."""
        return self.by_key.get(match_key(name)) if name and name.strip() else None

    def closest(self, name: str):
        """The registered agency whose name is nearest this one, if it is near enough to offer."""
        key = match_key(name)
        if not key:
            return None
        near = difflib.get_close_matches(key, self.by_key.keys(), n=1, cutoff=NEAR)
        return self.by_key[near[0]] if near else None
