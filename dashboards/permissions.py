"""Who may open which dashboard. Each action is declared once, here.

A region's dashboard belongs to its regional team; a borough's to its own users, the MSP that serves it
and its region's team; an agency's to its own users. Platform admins may open any.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import AGENCY, ANALYST, BOROUGH, MSP, REGIONAL

declare(
    Action("dashboard.index", "Choose a dashboard.", signed_in=True),
    Action(
        "dashboard.region",
        "Read a region's dashboard: its regional team and platform admins.",
        grants=(grant(REGIONAL, "organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "dashboard.borough",
        "Read a borough's dashboard: its own users, its MSP, its region's team.",
        grants=(
            grant(BOROUGH, "organisation"),
            grant(MSP, "served_by__organisation"),
            grant(REGIONAL, "region__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "dashboard.agency",
        "Read an agency's dashboard: its own users.",
        grants=(grant(AGENCY, "organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "bidding_up.region",
        "See the region's signs of bidding up (workers' rates rising between assignments), with boroughs named: "
        "its regional analysts.",
        grants=(grant(ANALYST, "organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "bidding_up.borough",
        "See a borough's own rises in pay between a worker's assignments, other boroughs not named: its own users.",
        grants=(grant(BOROUGH, "organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "bidding_up.set_threshold",
        "Set where a rise in pay becomes a sign of bidding up, for one's region.",
        grants=(grant(ANALYST, "organisation"), ADMIN_EVERYWHERE),
        refusal="Only the region's analysts can set its bidding-up threshold.",
    ),
)
