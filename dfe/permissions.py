"""Who may see the DfE return page, download a borough's DfE file, and build and download the region's extract.
Each action is declared once, here.

A borough's own submitters and approvers download their borough's file; the region's roles download every
borough's and the regional extract, which only its analysts build. MSP users act for a borough's Pledge return
(and still download its assignment-level CSV from the return's page, under ``return.read``) but the statutory
file is the authority's own, as its compliance pack is.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import ANALYST, BOROUGH, REGIONAL

declare(
    Action(
        "dfe.read",
        "See a period's DfE return page: a borough's own users for their borough's file, the region's roles for all.",
        grants=(
            grant(BOROUGH, "region__boroughs__organisation"),
            grant(REGIONAL, "region__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "dfe.download",
        "Download a borough's DfE statutory return (and census items): its own users and its region's roles.",
        grants=(grant(BOROUGH, "organisation"), grant(REGIONAL, "region__organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "dfe.extract_build",
        "Build a period's regional DfE extract.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can build its DfE extract.",
    ),
    Action(
        "dfe.extract_download",
        "Download a period's regional DfE extract: the region's roles.",
        grants=(grant(REGIONAL, "period__region__organisation"), ADMIN_EVERYWHERE),
    ),
)
