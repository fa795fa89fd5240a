"""Reading reference requests and references. Access is narrow, by design (DESIGN.md section 5)."""

from datetime import date

from django.db.models import QuerySet
from django.urls import reverse

from pledge_portal import access
from pledge_portal.audit.models import AuditEvent
from pledge_portal.core.todo import SHOWN, ToDo

from .models import Proposal, Reference, ReferenceRequest, ReferenceTemplate


def current_template() -> ReferenceTemplate:
    """The newest published version: what referees write on now (a draft never is)."""
    return ReferenceTemplate.objects.filter(published_on__isnull=False).order_by("-version").first()


def templates_visible_to(user):
    """Published versions are read by anyone signed in; drafts only by those who may draft templates."""
    published = ReferenceTemplate.objects.filter(published_on__isnull=False)
    if access.can(user, "reference_template.draft"):
        return ReferenceTemplate.objects.select_related("drafted_by", "published_by").order_by("-version")
    return published.select_related("published_by").order_by("-version")


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


def todo_for(user, *, today: date) -> list[ToDo]:
    """Reference requests waiting for the user's borough to answer, soonest due first (one query)."""
    if not access.can(user, "reference_request.answer"):
        return []
    waiting = (
        requests_visible_to(user, "reference_request.answer")
        .filter(status=ReferenceRequest.Status.REQUESTED)
        .order_by("due_on")[:SHOWN]
    )
    return [
        ToDo(
            f"Answer {r.agency}'s request for a reference (request {r.pk})",
            reverse("references:request-detail", args=[r.pk]),
            r.due_on,
            overdue=r.due_on < today,
        )
        for r in waiting
    ]


def regions_for_shared_contacts(user) -> QuerySet:
    """Regions whose shared referee contacts the user may see: their own region, as a regional analyst."""
    from boroughs.models import Region

    return access.visible(user, "referee_contacts.read", Region.objects.select_related("organisation"))
