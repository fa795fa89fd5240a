"""Reading agencies and managed service providers."""

from django.db.models import Count, QuerySet

from pledge_portal.accounts.roles import Role

from .models import Agency, ManagedServiceProvider


def agencies_visible_to(user) -> QuerySet[Agency]:
    """Regional roles and platform admins see every agency (agencies work across regions); agency users
    see their own; others none."""
    qs = Agency.objects.select_related("organisation")
    if not user.is_authenticated:
        return qs.none()
    if user.is_regional or user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(pk__in=user.agencies())


def msps_visible_to(user) -> QuerySet[ManagedServiceProvider]:
    qs = ManagedServiceProvider.objects.select_related("organisation").annotate(borough_count=Count("boroughs"))
    if not user.is_authenticated:
        return qs.none()
    if user.is_regional or user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(organisation_id__in=user.organisation_ids())
