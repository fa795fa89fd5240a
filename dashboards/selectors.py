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


def regions_for(user, action: str) -> QuerySet[Region]:
    """Regions on which ``user`` may take ``action`` (``bidding_up.region``, ``bidding_up.set_threshold``)."""
    return access.visible(user, action, Region.objects.order_by("name"))


def boroughs_for(user, action: str) -> QuerySet:
    """Boroughs on which ``user`` may take ``action`` (``bidding_up.borough``)."""
    from boroughs.models import Borough

    return access.visible(user, action, Borough.objects.select_related("region"))
