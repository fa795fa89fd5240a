"""Reading regions and boroughs."""

from django.db.models import Q, QuerySet

from pledge_portal.accounts.models import Organisation
from pledge_portal.accounts.roles import Role

from .models import Borough


def boroughs_visible_to(user) -> QuerySet[Borough]:
    """Boroughs whose own data (returns, references, dashboards) the user may read: their own borough,
    the boroughs their MSP serves, or every borough in their region for regional roles."""
    qs = Borough.objects.select_related("region", "sub_region", "organisation")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    if user.is_regional:
        return qs.filter(Q(region__in=user.regions()) | Q(pk__in=user.boroughs()))
    return qs.filter(pk__in=user.boroughs())


def borough_directory() -> QuerySet[Borough]:
    """Every borough with its public codes: names, GSS and DfE codes and sub-regions are public data."""
    return Borough.objects.select_related("region", "sub_region").order_by("region__name", "name")


def organisations_in_regions_of(user) -> QuerySet[Organisation]:
    """Organisations a regional user oversees: their own team and the boroughs of their region."""
    regions = user.regions()
    return Organisation.objects.filter(Q(region__in=regions) | Q(borough__region__in=regions))
