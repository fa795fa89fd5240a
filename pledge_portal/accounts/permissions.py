"""Who may manage whom: each organisation's own admin role invites and removes its users (an agency's
admins, a borough's approvers, a region's analysts); platform admins manage every organisation. An MSP's
users are managed by platform admins (who joins one is the region's call)."""

from pledge_portal.access import ADMIN_EVERYWHERE, Action, declare, grant
from pledge_portal.accounts.roles import ADMIN_ROLE_BY_KIND

declare(
    Action(
        "organisation.manage_members",
        "Invite people to an organisation with a role, and remove them.",
        grants=(grant(frozenset(ADMIN_ROLE_BY_KIND.values()), "pk"), ADMIN_EVERYWHERE),
        refusal="Only {obj}'s own administrators can manage its users.",
    ),
    Action("account.use", "See one's own account and API token.", signed_in=True),
    Action("invitation.accept", "Open an invitation link.", public=True),
)
