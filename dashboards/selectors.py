"""Reading for the dashboards: which regions' and agencies' dashboards a user may open. Boroughs are read
through ``boroughs.selectors``; the figures themselves are in ``dashboards.figures``."""

from django.db.models import QuerySet

from agencies.models import Agency
from boroughs.models import Region
from pledge_portal import access


def regions_visible_to(user) -> QuerySet[Region]:
    """Regions whose dashboards the user may read: their own region as a regional role; all for admins."""
    return access.visible(user, "dashboard.region", Region.objects.order_by("name"))


def agencies_with_dashboards(user) -> QuerySet[Agency]:
    """Agencies whose dashboards the user may read: their own agency's; all for platform admins."""
    return access.visible(user, "dashboard.agency", Agency.objects.select_related("organisation"))
