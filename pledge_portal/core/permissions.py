"""The portal's own pages: the home page and health check, the API's description, the Django admin."""

from pledge_portal.access import ADMIN_EVERYWHERE, ALL, Action, declare, grant
from pledge_portal.access.roles import AGENCY, MSP

declare(
    Action("portal.home", "The home page (the landing page when signed out) and the health check.", public=True),
    Action("api.docs", "Read the API's OpenAPI description.", public=True),
    Action(
        "api.integrate",
        "Use the portal's API from one's own systems (offered on the home page to those whose work needs it).",
        grants=(grant(AGENCY | MSP, ALL), ADMIN_EVERYWHERE),
    ),
    Action(
        "admin.use", "Manage organisations, users and reference data in the Django admin.", grants=(ADMIN_EVERYWHERE,)
    ),
)
