"""Reading agencies and managed service providers."""

from django.db.models import Count, QuerySet

from pledge_portal import access

from .models import Agency, ManagedServiceProvider


def agencies_visible_to(user) -> QuerySet[Agency]:
    """Regional roles and platform admins see every agency (agencies work across regions)."""
    return access.visible(user, "agency.register", Agency.objects.select_related("organisation"))


def msps_visible_to(user) -> QuerySet[ManagedServiceProvider]:
    qs = ManagedServiceProvider.objects.select_related("organisation").annotate(borough_count=Count("boroughs"))
    return access.visible(user, "agency.register", qs)
