"""Who may do what with caps, rate cards and breach sign-offs. Each action is declared once, here.

Published caps are public: anyone may read them and check a rate. A region's drafts belong to its regional
analysts; a borough's breach sign-offs are made by its approvers and read by its own users and its region.
"""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.access.roles import ANALYST, APPROVER, BOROUGH, REGIONAL

declare(
    Action("rates.read", "Read the caps in force and published rate cards, and check a rate.", public=True),
    Action(
        "rate_card.draft",
        "Draft, import, edit, publish or delete a region's rate cards.",
        grants=(grant(ANALYST, "region__organisation"), ADMIN_EVERYWHERE),
        refusal="Only the regional analysts of {obj}'s region can change its draft.",
    ),
    Action(
        "region.draft_rate_card",
        "Start a new draft rate card for a region.",
        grants=(grant(ANALYST, "organisation"), ADMIN_EVERYWHERE),
        refusal="Only {obj}'s regional analysts can draft its rate cards.",
    ),
    Action(
        "sign_off.read",
        "Read a borough's sign-offs of pay above the cap.",
        grants=(
            grant(BOROUGH, "borough__organisation"),
            grant(REGIONAL, "borough__region__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "borough.sign_off_breach",
        "Sign off pay above the cap for one of the borough's assignments, as its approver.",
        grants=(grant(APPROVER, "organisation"),),
        refusal="Only an approver of {obj} can sign off a breach of the cap for it.",
    ),
)
