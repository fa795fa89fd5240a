"""The register of agencies and MSPs: the regional teams read all of it (agencies work across regions)."""

from pledge_portal.access import ADMIN_EVERYWHERE, ALL, Action, declare, grant
from pledge_portal.access.roles import ANALYST, BOROUGH, MSP, REGIONAL

declare(
    Action(
        "agency.register",
        "Read the register of agencies and managed service providers.",
        grants=(grant(REGIONAL, ALL), ADMIN_EVERYWHERE),
    ),
    Action(
        "agency.lookup",
        "Look agencies up on the register by name or code, to name the agency of a row (names, register ids "
        "and Companies House numbers only).",
        grants=(grant(BOROUGH | MSP | ANALYST, ALL), ADMIN_EVERYWHERE),
    ),
)
