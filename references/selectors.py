"""Reading reference requests and references. Access is narrow, by design (DESIGN.md section 5)."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from pledge_portal.accounts.roles import AGENCY_ROLES, BOROUGH_ROLES, Role
from pledge_portal.audit.models import AuditEvent

from .models import Proposal, Reference, ReferenceRequest, ReferenceTemplate


def current_template() -> ReferenceTemplate:
    return ReferenceTemplate.objects.order_by("-version").first()


def _borough_ids(user) -> list[int]:
    """Boroughs whose reference work the user does: their own borough's, as a submitter or approver.
    (An MSP reports assignments for boroughs; it does not read their references.)"""
    if not user.has_role(*BOROUGH_ROLES):
        return []
    own = user.organisation_ids()
    return list(user.boroughs().filter(organisation_id__in=own).values_list("pk", flat=True))


def _agency_ids(user) -> list[int]:
    if not user.has_role(*AGENCY_ROLES):
        return []
    return list(user.agencies().values_list("pk", flat=True))


def requests_visible_to(user) -> QuerySet[ReferenceRequest]:
    """A borough's users see the requests made to it; an agency's users see the requests it made."""
    qs = ReferenceRequest.objects.select_related("agency", "borough", "requested_by")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(Q(borough_id__in=_borough_ids(user)) | Q(agency_id__in=_agency_ids(user)))


def references_visible_to(user) -> QuerySet[Reference]:
    """The issuing borough, the agency that asked for or uploaded the reference, and boroughs that agency
    has proposed the candidate to. Nobody else: not other agencies, not other boroughs, not the region."""
    qs = Reference.objects.select_related("template", "issuing_borough", "agency", "author")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    boroughs = _borough_ids(user)
    proposed = Proposal.objects.filter(
        borough_id__in=boroughs, agency_id=OuterRef("agency_id"), registration_number=OuterRef("registration_number")
    )
    return qs.filter(Q(issuing_borough_id__in=boroughs) | Q(agency_id__in=_agency_ids(user)) | Exists(proposed))


def proposals_visible_to(user) -> QuerySet[Proposal]:
    qs = Proposal.objects.select_related("agency", "borough", "proposed_by")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(Q(borough_id__in=_borough_ids(user)) | Q(agency_id__in=_agency_ids(user)))


def reference_history(reference: Reference) -> QuerySet[AuditEvent]:
    """Who has done what with this reference, from the audit log: written, viewed, downloaded."""
    from django.contrib.contenttypes.models import ContentType

    return (
        AuditEvent.objects.filter(target_type=ContentType.objects.get_for_model(Reference), target_id=str(reference.pk))
        .select_related("organisation")
        .order_by("at")
    )
