"""The journeys a user can take: one list feeds the navigation and the home page cards.

When a capability lands, its entry goes here, with the action its page declares: a journey shows only to
users the access policy lets take that action somewhere. Order is the order users see.
"""

from dataclasses import dataclass

from django.urls import reverse

from pledge_portal import access


@dataclass(frozen=True)
class Journey:
    title: str
    url_name: str
    action: str
    description: str
    in_navigation: bool = True

    @property
    def url(self) -> str:
        return reverse(self.url_name)


JOURNEYS: tuple[Journey, ...] = (
    Journey(
        "Returns",
        "returns:list",
        "return.read",
        "Quarterly returns: agency assignments and workforce figures, checked, signed off and accepted.",
    ),
    Journey(
        "Dashboards",
        "dashboards:index",
        "dashboard.index",
        "Figures from accepted returns: agency share, pay against caps, breaches, flags, spend and agencies.",
    ),
    Journey(
        "Compliance packs",
        "packs:index",
        "pack.download",
        "Each quarter's compliance pack for the steering group, as a PDF and an Excel workbook; every download "
        "is recorded.",
    ),
    Journey(
        "DfE return",
        "dfe:index",
        "dfe.read",
        "Each quarter's statutory agency return to the DfE, and the census's agency-worker items, made from the "
        "same returns: a borough's file, or the region's extract.",
        in_navigation=False,  # reached from its home-page card, the return and the dashboards (one-line menu)
    ),
    Journey(
        "Caps",
        "rates:current",
        "rates.read",
        "The capped hourly rates in force today for each role, PAYE and limited company.",
    ),
    Journey(
        "Check a rate",
        "rates:check",
        "rates.read",
        "Is an hourly rate within the cap for a role, engagement type and date? Get the answer at once.",
        in_navigation=False,  # reached from its home-page card (the menu stays on one line)
    ),
    Journey(
        "Rate cards",
        "rates:cards",
        "region.draft_rate_card",
        "Draft, import and publish new versions of the caps; see every earlier card and what changed.",
    ),
    Journey(
        "Breach sign-offs",
        "rates:sign-offs",
        "sign_off.read",
        "Approvers' sign-offs of pay above the cap, reported in returns and compliance packs.",
        in_navigation=False,  # reached from its home-page card (the menu stays on one line)
    ),
    Journey(
        "References",
        "references:requests",
        "reference_request.read",
        "Request references, answer requests from agencies by their due date, and read the references you hold.",
    ),
    Journey(
        "Flagged placements",
        "returns:placement-flags",
        "placement.read_flags",
        "Your agency's placements that boroughs' checks flagged: which borough, which quarter, which rule.",
        in_navigation=False,
    ),
    Journey(
        "Reference template",
        "references:templates",
        "reference_template.draft",
        "Draft, preview and publish the next version of the shared practice-based reference template.",
        in_navigation=False,
    ),
    Journey(
        "Your team",
        "accounts:organisations",
        "organisation.manage_members",
        "Invite colleagues to the portal with the right role, and remove people who have left.",
        in_navigation=False,  # reached from its home-page card (the menu stays on one line)
    ),
    Journey(
        "Authorities",
        "boroughs:directory",
        "borough.directory",
        "London's authorities with their GSS and DfE codes, sub-regions and Pledge status.",
        in_navigation=False,  # linked from every page's footer
    ),
    Journey(
        "Agencies",
        "agencies:list",
        "agency.register",
        "Agencies and managed service providers registered on the portal.",
        in_navigation=False,  # reached from its home-page card (the menu stays on one line)
    ),
    Journey(
        "Audit log",
        "audit:log",
        "audit.read",
        "Who did what to which record, when and from which organisation; export it as CSV.",
    ),
    Journey(
        "Background jobs",
        "jobs:list",
        "job.read",
        "Exports and other long jobs you started, with their progress and files.",
        in_navigation=False,
    ),
    Journey(
        "API",
        "api-docs",
        "api.integrate",
        "The portal's API for your own systems, with its OpenAPI description.",
        in_navigation=False,
    ),
    Journey(
        "Django admin",
        "admin:index",
        "admin.use",
        "Organisations, users, memberships and reference data.",
        in_navigation=False,  # reached from its home-page card (the menu stays on one line)
    ),
)


def journeys_for(user) -> list[Journey]:
    """The journeys ``user`` may take: those whose action the policy allows them somewhere. Public pages
    (caps, the rate check) are offered to signed-in users only, as before."""
    return [j for j in JOURNEYS if user.is_authenticated and access.can(user, j.action)]
