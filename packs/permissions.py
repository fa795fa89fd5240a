"""Who may see, download and build compliance packs. Each action is declared once, here.

A region's team sees all of its packs (the regional pack and every borough's); a borough's own submitters and
approvers see their borough's pack (not MSP users, who act for a borough's returns but are not held to
account by its pack). Only the region's analysts build them; platform admins may do both anywhere.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import ANALYST, BOROUGH, REGIONAL

declare(
    Action(
        "pack.download",
        "See and download compliance packs: a region's roles all of its packs, a borough's own users its pack.",
        grants=(
            grant(REGIONAL, "period__region__organisation"),
            grant(BOROUGH, "borough__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "pack.build",
        "Build a period's compliance packs.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can build its packs.",
    ),
)
