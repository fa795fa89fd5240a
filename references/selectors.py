"""Reading reference requests and references. Access is narrow, by design (DESIGN.md section 5)."""

from django.db.models import QuerySet

from pledge_portal import access
from pledge_portal.audit.models import AuditEvent

from .models import Proposal, Reference, ReferenceRequest, ReferenceTemplate


def current_template() -> ReferenceTemplate:
    return ReferenceTemplate.objects.order_by("-version").first()


def requests_visible_to(user, action: str = "reference_request.read") -> QuerySet[ReferenceRequest]:
    """A borough's users see the requests made to it; an agency's users see the requests it made."""
    return access.visible(user, action, ReferenceRequest.objects.select_related("agency", "borough", "requested_by"))


def references_visible_to(user) -> QuerySet[Reference]:
    """The issuing borough, the agency that asked for or uploaded the reference, and boroughs that agency
    has proposed the candidate to. Nobody else: not other agencies, not other boroughs, not the region."""
    qs = Reference.objects.select_related("template", "issuing_borough", "agency", "author")
    return access.visible(user, "reference.read", qs)


def proposals_visible_to(user) -> QuerySet[Proposal]:
    return access.visible(user, "proposal.read", Proposal.objects.select_related("agency", "borough", "proposed_by"))


def agencies_acted_for(user, action: str) -> QuerySet:
    """The agencies ``user`` may take ``action`` for (request, upload, propose): usually one."""
    from agencies.models import Agency

    return access.visible(user, action, Agency.objects.order_by("name"))


def reference_history(reference: Reference) -> QuerySet[AuditEvent]:
    """Who has done what with this reference, from the audit log: written, viewed, downloaded."""
    from django.contrib.contenttypes.models import ContentType

    return (
        AuditEvent.objects.filter(target_type=ContentType.objects.get_for_model(Reference), target_id=str(reference.pk))
        .select_related("organisation")
        .order_by("at")
    )
