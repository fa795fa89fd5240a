"""The journeys each role can take: one list feeds the navigation and the home page cards.

When a capability lands, its entry goes here, with the roles that may use it (the same roles its
view declares). Order is the order users see.
"""

from dataclasses import dataclass

from django.urls import reverse

from pledge_portal.accounts.roles import ADMIN_ROLE_BY_KIND, AGENCY_ROLES, BOROUGH_ROLES, REGIONAL_ROLES, Role
from pledge_portal.tenancy import SIGNED_IN, Roles, may_use


@dataclass(frozen=True)
class Journey:
    title: str
    url_name: str
    roles: Roles
    description: str
    in_navigation: bool = True

    @property
    def url(self) -> str:
        return reverse(self.url_name)


ORGANISATION_ADMINS = frozenset(ADMIN_ROLE_BY_KIND.values()) | {Role.PLATFORM_ADMIN}

JOURNEYS: tuple[Journey, ...] = (
    Journey(
        "Returns",
        "returns:list",
        BOROUGH_ROLES | REGIONAL_ROLES | {Role.MSP_USER, Role.PLATFORM_ADMIN},
        "Quarterly returns: agency assignments and workforce figures, checked, signed off and accepted.",
    ),
    Journey(
        "Dashboards",
        "dashboards:index",
        SIGNED_IN,
        "Figures from accepted returns: agency share, pay against caps, breaches, flags, spend and agencies.",
    ),
    Journey(
        "Compliance packs",
        "returns:packs",
        REGIONAL_ROLES | BOROUGH_ROLES | {Role.PLATFORM_ADMIN},
        "Each quarter's compliance pack for the steering group, as a PDF and an Excel workbook; every download "
        "is recorded.",
    ),
    Journey(
        "Caps",
        "rates:current",
        SIGNED_IN,
        "The capped hourly rates in force today for each role, PAYE and limited company.",
    ),
    Journey(
        "Check a rate",
        "rates:check",
        SIGNED_IN,
        "Is an hourly rate within the cap for a role, engagement type and date? Get the answer at once.",
    ),
    Journey(
        "Rate cards",
        "rates:cards",
        frozenset({Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN}),
        "Draft, import and publish new versions of the caps; see every earlier card and what changed.",
    ),
    Journey(
        "Breach sign-offs",
        "rates:sign-offs",
        BOROUGH_ROLES | REGIONAL_ROLES | {Role.PLATFORM_ADMIN},
        "Approvers' sign-offs of pay above the cap, reported in returns and compliance packs.",
    ),
    Journey(
        "References",
        "references:requests",
        AGENCY_ROLES | BOROUGH_ROLES,
        "Request references, answer requests from agencies by their due date, and read the references you hold.",
    ),
    Journey(
        "Your team",
        "accounts:organisations",
        ORGANISATION_ADMINS,
        "Invite colleagues to the portal with the right role, and remove people who have left.",
    ),
    Journey(
        "Authorities",
        "boroughs:directory",
        SIGNED_IN,
        "London's authorities with their GSS and DfE codes, sub-regions and Pledge status.",
        in_navigation=False,  # linked from every page's footer
    ),
    Journey(
        "Agencies",
        "agencies:list",
        REGIONAL_ROLES | {Role.PLATFORM_ADMIN},
        "Agencies and managed service providers registered on the portal.",
    ),
    Journey(
        "Audit log",
        "audit:log",
        frozenset({Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN}),
        "Who did what to which record, when and from which organisation; export it as CSV.",
    ),
    Journey(
        "Background jobs",
        "jobs:list",
        SIGNED_IN,
        "Exports and other long jobs you started, with their progress and files.",
        in_navigation=False,
    ),
    Journey(
        "API",
        "api-docs",
        frozenset({Role.MSP_USER, Role.AGENCY_ADMIN, Role.AGENCY_USER, Role.PLATFORM_ADMIN}),
        "The portal's API for your own systems, with its OpenAPI description.",
        in_navigation=False,
    ),
    Journey(
        "Django admin",
        "admin:index",
        frozenset({Role.PLATFORM_ADMIN}),
        "Organisations, users, memberships and reference data.",
    ),
)


def journeys_for(user) -> list[Journey]:
    return [j for j in JOURNEYS if may_use(user, j.roles)]
