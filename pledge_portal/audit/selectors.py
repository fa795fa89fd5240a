"""Reading the audit log."""

from django.db.models import QuerySet

from pledge_portal.accounts.roles import Role

from .models import AuditEvent


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """Platform admins read everything; regional analysts read the events of their own team and of their
    region's boroughs. Nobody else reads the log through the portal."""
    qs = AuditEvent.objects.select_related("organisation", "target_type")
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    if not user.has_role(Role.REGIONAL_ANALYST):
        return qs.none()
    from boroughs.selectors import organisations_in_regions_of

    return qs.filter(organisation__in=organisations_in_regions_of(user))


def filter_audit_events(
    qs: QuerySet[AuditEvent], *, action: str = "", actor: str = "", organisation: str = "", since=None, until=None
) -> QuerySet[AuditEvent]:
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if organisation:
        qs = qs.filter(organisation__slug=organisation)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs
