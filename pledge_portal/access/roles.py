"""The sets of roles that grants are written with. Only permissions modules and the policy use them."""

from pledge_portal.accounts.roles import ROLES_BY_KIND, OrganisationKind, Role

BOROUGH = frozenset(ROLES_BY_KIND[OrganisationKind.BOROUGH])
AGENCY = frozenset(ROLES_BY_KIND[OrganisationKind.AGENCY])
REGIONAL = frozenset(ROLES_BY_KIND[OrganisationKind.REGIONAL_TEAM])
APPROVER = frozenset({Role.BOROUGH_APPROVER})
ANALYST = frozenset({Role.REGIONAL_ANALYST})
MSP = frozenset({Role.MSP_USER})

# The order of seniority: the home page is made for the first role a user holds.
SENIORITY = (
    Role.PLATFORM_ADMIN,
    Role.REGIONAL_ANALYST,
    Role.STEERING_MEMBER,
    Role.BOROUGH_APPROVER,
    Role.BOROUGH_SUBMITTER,
    Role.MSP_USER,
    Role.AGENCY_ADMIN,
    Role.AGENCY_USER,
)
