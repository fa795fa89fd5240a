"""The register of agencies and MSPs: the regional teams read all of it (agencies work across regions)."""

from pledge_portal.access import ADMIN_EVERYWHERE, ALL, Action, declare, grant
from pledge_portal.access.roles import REGIONAL

declare(
    Action(
        "agency.register",
        "Read the register of agencies and managed service providers.",
        grants=(grant(REGIONAL, ALL), ADMIN_EVERYWHERE),
    ),
)
