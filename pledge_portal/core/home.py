"""What each role's home page shows, beyond the journeys: the facts each user starts their day with."""

from django.db.models import Count
from django.utils import timezone

from pledge_portal import access
from pledge_portal.accounts.models import Organisation, User
from pledge_portal.accounts.roles import ADMIN_ROLE_BY_KIND, ROLE_DESCRIPTIONS, Role
from pledge_portal.accounts.selectors import organisations_managed_by
from pledge_portal.audit.selectors import audit_events_visible_to
from pledge_portal.jobs.selectors import task_runs_visible_to

from .todo import todo_for

HOME_HEADINGS = {
    Role.BOROUGH_SUBMITTER: "Your borough's returns and references",
    Role.BOROUGH_APPROVER: "Sign-off and your borough's team",
    Role.AGENCY_USER: "Your agency on the London Pledge",
    Role.AGENCY_ADMIN: "Your agency and its users",
    Role.MSP_USER: "The boroughs you report for",
    Role.REGIONAL_ANALYST: "The region at a glance",
    Role.STEERING_MEMBER: "The region at a glance",
    Role.PLATFORM_ADMIN: "Portal administration",
}


def home_context(user: User) -> dict:
    """What the home page shows, each part only where the access policy lets the user act on it."""
    from agencies.models import Agency
    from boroughs.models import Borough, Region

    role = access.primary_role(user)
    context = {
        "role": role,
        "role_label": Role(role).label if role else None,
        "role_description": ROLE_DESCRIPTIONS.get(role, ""),
        "heading": HOME_HEADINGS.get(role, "Welcome"),
        "memberships": user.active_memberships,
        "recent_jobs": list(task_runs_visible_to(user).filter(created_by=user)[:3]),
    }
    if role is None:
        return context
    context["todo"] = todo_for(user, today=timezone.localdate())
    context["boroughs"] = list(access.visible(user, "borough.report", Borough.objects.select_related("sub_region")))
    context["agencies"] = list(access.own(user, "dashboard.agency", Agency.objects.all()))
    managed = organisations_managed_by(user)
    if not access.everywhere(user, "organisation.manage_members") and managed.exists():
        context["teams"] = list(managed.annotate(member_count=Count("memberships__user", distinct=True)))
        for org in context["teams"]:
            org.admin_role_label = Role(ADMIN_ROLE_BY_KIND[org.kind]).label
    regions = list(access.own(user, "dashboard.region", Region.objects.all()))
    if regions:
        region_boroughs = Borough.objects.filter(region__in=regions)
        context["regions"] = regions
        context["region_stats"] = {
            "boroughs": region_boroughs.count(),
            "signatories": region_boroughs.filter(pledge_signatory=True).count(),
            "agencies": Organisation.objects.filter(kind="agency", is_active=True).count(),
        }
    if access.can(user, "audit.read"):
        context["recent_events"] = list(audit_events_visible_to(user)[:8])
    if access.can(user, "admin.use"):
        context["organisation_counts"] = list(
            Organisation.objects.values("kind").annotate(n=Count("id")).order_by("kind")
        )
        context["user_count"] = User.objects.filter(is_active=True).count()
    return context
