"""Reading regions and boroughs."""

from django.db.models import QuerySet

from pledge_portal import access

from .models import Borough


def boroughs_visible_to(user) -> QuerySet[Borough]:
    """Boroughs whose own data (returns, dashboards, sign-offs) the user may read: their own borough, the
    boroughs their MSP serves, or every borough in their region for regional roles."""
    return access.visible(
        user, "dashboard.borough", Borough.objects.select_related("region", "sub_region", "organisation")
    )


def borough_directory() -> QuerySet[Borough]:
    """Every borough with its public codes: names, GSS and DfE codes and sub-regions are public data."""
    return Borough.objects.select_related("region", "sub_region").order_by("region__name", "name")
