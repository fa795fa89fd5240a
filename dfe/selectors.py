"""Reading for the DfE pages, already scoped: periods, boroughs and extracts a user may reach."""

from django.db.models import QuerySet

from boroughs.models import Borough
from pledge_portal import access
from returns.models import ReportingPeriod

from .models import DfeExtract


def periods_visible_to(user) -> QuerySet[ReportingPeriod]:
    """Periods whose DfE page the user may open: their boroughs' region's, or their region's."""
    return access.visible(user, "dfe.read", ReportingPeriod.objects.select_related("region")).distinct()


def boroughs_downloadable_by(user, period: ReportingPeriod) -> QuerySet[Borough]:
    """The period's boroughs whose DfE file the user may download: their own, or all of their region's."""
    qs = Borough.objects.filter(region=period.region_id).order_by("name")
    return access.visible(user, "dfe.download", qs).distinct()


def extracts_visible_to(user) -> QuerySet[DfeExtract]:
    """Regional extracts the user may download: their region's (every region's, for platform admins)."""
    qs = DfeExtract.objects.select_related("period__region", "task_run", "requested_by")
    return access.visible(user, "dfe.extract_download", qs)
