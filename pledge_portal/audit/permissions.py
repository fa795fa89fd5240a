"""Who reads the audit log: platform admins everything; a regional analyst the events of their own team and
of their region's boroughs (held as analyst in that region's team, not any regional role anywhere)."""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import ANALYST

declare(
    Action(
        "audit.read",
        "Read and export the audit log.",
        grants=(
            grant(ANALYST, "organisation"),
            grant(ANALYST, "organisation__borough__region__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
)
