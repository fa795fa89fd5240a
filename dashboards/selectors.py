"""Reading for the dashboards: which regions' dashboards a user may open. Boroughs and agencies are read
through their own apps' selectors; the figures themselves are in ``dashboards.figures``."""

from django.db.models import QuerySet

from boroughs.models import Region
from pledge_portal.accounts.roles import Role


def regions_visible_to(user) -> QuerySet[Region]:
    """Regions whose dashboards the user may read: their own region as a regional role; all for admins."""
    if not user.is_authenticated:
        return Region.objects.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return Region.objects.all()
    return user.regions()
