"""Who may do what with quarterly returns and periods. Each action is declared once, here.

Owners: a return is owned by its reporting unit's boroughs (their own users), by the MSPs that serve those
boroughs (MSP users report for them), and by its period's region (the regional team reviews it). A role
counts only in the organisation it is held in: a submitter of one borough who approves for another signs
off only the other's return.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import AGENCY, ANALYST, APPROVER, BOROUGH, MSP, REGIONAL

# From a return to its owners; the same steps from a unit (``boroughs__...``) or a row (``ret__...``).
BOROUGHS = "unit__boroughs__organisation"
MSPS = "unit__boroughs__served_by__organisation"
REGION = "period__region__organisation"


def _makers(prefix: str = "") -> tuple:
    """A unit's own users and its MSP's: those who fill in, check and submit its returns."""
    return (grant(BOROUGH, prefix + BOROUGHS), grant(MSP, prefix + MSPS))


declare(
    Action(
        "return.read",
        "Read a return, its rows, findings, versions and exports.",
        grants=(*_makers(), grant(REGIONAL, REGION), ADMIN_EVERYWHERE),
    ),
    Action(
        "return.edit",
        "Change a return's rows and workforce figures, upload a file into it, explain its queries.",
        grants=_makers(),
        refusal="Only {obj}'s own users (or its managed service provider) can change it.",
    ),
    Action(
        "return.submit",
        "Send a checked return for sign-off.",
        grants=_makers(),
        refusal="Only {obj}'s own users (or its managed service provider) can submit it.",
    ),
    Action(
        "return.check",
        "Run the checks on a return.",
        grants=(*_makers(), grant(ANALYST, REGION), ADMIN_EVERYWHERE),
        refusal="Only {obj}'s own users or its region's analysts can check it.",
    ),
    Action(
        "return.sign_off",
        "Sign off a submitted return, as its borough's approver.",
        grants=(grant(APPROVER, BOROUGHS),),
        refusal="Only an approver of {obj}'s borough can sign off its return.",
    ),
    Action(
        "breach.sign_off",
        "Sign off pay above the cap on a row of a return, as its borough's approver.",
        grants=(grant(APPROVER, BOROUGHS),),
        refusal="Only an approver of {obj}'s borough can sign off a breach of the cap in its return.",
    ),
    Action(
        "return.review",
        "Accept a signed-off return, send one back for amendment, or reopen an accepted one.",
        grants=(grant(ANALYST, REGION), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can do this.",
    ),
    Action(
        "assignment.read",
        "Read assignment rows: a unit's own, an agency's across boroughs, a region's.",
        grants=(
            *_makers("ret__"),
            grant(REGIONAL, "ret__" + REGION),
            grant(AGENCY, "agency__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "placement.read_flags",
        "An agency reads what the checks flagged on its own placements, in every borough's submitted returns.",
        grants=(grant(AGENCY, "agency__organisation"),),
    ),
    Action(
        "unit.start_return",
        "Start a reporting unit's return for a period.",
        grants=(grant(BOROUGH, "boroughs__organisation"), grant(MSP, "boroughs__served_by__organisation")),
        refusal="Only {obj}'s own users (or its managed service provider) can start its return.",
    ),
    Action(
        "borough.report",
        "Report a borough's assignments and workforce: its own users and the MSP that serves it.",
        grants=(grant(BOROUGH, "organisation"), grant(MSP, "served_by__organisation")),
    ),
    Action(
        "unit.read",
        "See a reporting unit.",
        grants=(
            grant(BOROUGH, "boroughs__organisation"),
            grant(MSP, "boroughs__served_by__organisation"),
            grant(REGIONAL, "region__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "period.report",
        "Make returns for a period: the periods of the regions of one's own boroughs.",
        grants=(
            grant(BOROUGH, "region__boroughs__organisation"),
            grant(MSP, "region__boroughs__served_by__organisation"),
        ),
    ),
    Action(
        "period.read",
        "See a region's periods and who has submitted.",
        grants=(grant(REGIONAL, "region__organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "period.open",
        "Open a quarter for returns in a region.",
        grants=(grant(ANALYST, "organisation"), ADMIN_EVERYWHERE),
        refusal="Only {obj}'s regional analysts can open a period.",
    ),
    Action(
        "period.extend",
        "Move a period's deadline and lock date later.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can extend it.",
    ),
    Action(
        "period.lock",
        "Lock a period, which also asks for its compliance pack.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can lock it.",
    ),
    Action(
        "leaver.read_matches",
        "See, for a period, which rows the leavers register matched and which borough each worker left.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
    ),
    Action("rules.read", "Read the validation rules.", signed_in=True),
)
