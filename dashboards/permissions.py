"""Who may open which dashboard. Each action is declared once, here.

A region's dashboard belongs to its regional team; a borough's to its own users, the MSP that serves it
and its region's team; an agency's to its own users. Platform admins may open any.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import AGENCY, BOROUGH, MSP, REGIONAL

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
)
