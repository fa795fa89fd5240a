"""Reading the audit log."""

from django.db.models import QuerySet

from pledge_portal import access

from .models import AuditEvent


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """Platform admins read everything; regional analysts read the events of their own team and of their
    region's boroughs. Nobody else reads the log through the portal."""
    return access.visible(user, "audit.read", AuditEvent.objects.select_related("organisation", "target_type"))


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
