"""Requesting, writing, uploading, proposing and deleting references: the only writers in references."""

import copy
import io
import re
import zipfile
from datetime import date, timedelta

from defusedxml import DefusedXmlException, ElementTree
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from agencies.models import Agency
from boroughs.models import Borough
from pledge_portal import access
from pledge_portal.audit import services as audit
from pledge_portal.core.identity import RegistrationNumberError, parse_registration_number
from pledge_portal.core.working_days import add_working_days

from .answers import build_schema, clean_answers, questions_of
from .contacts import ContactInvalid, clean_email, clean_phone, contact_columns
from .models import Proposal, Reference, ReferenceRequest, ReferenceTemplate
from .selectors import current_template


class ReferenceError(Exception):
    """A refused action, with a message to show the user."""


def _registration_number(value: str) -> str:
    """The number as stored (``core.identity``); a value that is not one is refused with the parser's message."""
    try:
        return parse_registration_number(value).number
    except RegistrationNumberError as exc:
        raise ReferenceError(str(exc)) from exc


def _candidate_contacts(email: str, phone: str) -> tuple[str, str]:
    """The candidate's own email and phone in stored form ("" for none), checked as the forms check them."""
    try:
        return (
            clean_email(email, what="the candidate's email address") if (email or "").strip() else "",
            clean_phone(phone, what="the candidate's phone number") if (phone or "").strip() else "",
        )
    except ContactInvalid as exc:
        raise ReferenceError(str(exc)) from exc


def _tell_agency(request: ReferenceRequest) -> None:
    from .tasks import tell_agency_the_request_is_answered  # tasks import services

    # robust: an email that cannot be sent is logged; it never turns a saved answer into an error page.
    transaction.on_commit(lambda: tell_agency_the_request_is_answered.delay(request.pk), robust=True)


def _retain_until() -> date:
    return timezone.localdate() + timedelta(days=settings.REFERENCE_RETENTION_DAYS)


@transaction.atomic
def request_reference(
    *,
    agency: Agency,
    borough: Borough,
    by,
    registration_number: str,
    candidate_name: str,
    employed_from: date | None = None,
    employed_to: date | None = None,
    candidate_email: str = "",
    candidate_phone: str = "",
) -> ReferenceRequest:
    """An agency asks a borough that employed the candidate for a reference. Due in
    ``REFERENCE_DUE_WORKING_DAYS`` working days (England and Wales bank holidays excluded)."""
    acting = access.require(by, "reference_request.make", agency, error=ReferenceError)
    number = _registration_number(registration_number)
    candidate_email, candidate_phone = _candidate_contacts(candidate_email, candidate_phone)
    if ReferenceRequest.objects.filter(
        agency=agency, borough=borough, registration_number=number, status=ReferenceRequest.Status.REQUESTED
    ).exists():
        raise ReferenceError(f"You already have an open request to {borough} about {number}.")
    request = ReferenceRequest.objects.create(
        agency=agency,
        borough=borough,
        registration_number=number,
        candidate_name=candidate_name.strip(),
        employed_from=employed_from,
        employed_to=employed_to,
        candidate_email=candidate_email,
        candidate_phone=candidate_phone,
        requested_by=by,
        due_on=add_working_days(timezone.localdate(), settings.REFERENCE_DUE_WORKING_DAYS),
    )
    audit.record(
        by,
        "reference_request.made",
        request,
        organisation=acting,
        detail={"borough": borough.pk, "due_on": request.due_on.isoformat()},
    )
    from .tasks import tell_borough_of_the_request

    transaction.on_commit(lambda: tell_borough_of_the_request.delay(request.pk), robust=True)
    return request


@transaction.atomic
def complete_reference(*, request: ReferenceRequest, by, answers: dict) -> Reference:
    """The borough answers a request on the current template. Answers are checked first
    (``AnswersInvalid``); a request answered once cannot be answered again."""
    request = ReferenceRequest.objects.select_for_update().get(pk=request.pk)
    acting = access.require(by, "reference_request.answer", request, error=ReferenceError)
    if not request.is_open:
        raise ReferenceError(f"This request is already {request.get_status_display().lower()}.")
    template = current_template()
    cleaned = clean_answers(template, answers)
    reference = Reference.objects.create(
        source=Reference.Source.COMPLETED,
        template=template,
        request=request,
        registration_number=request.registration_number,
        candidate_name=request.candidate_name,
        issuing_borough=request.borough,
        agency=request.agency,
        answers=cleaned,
        **contact_columns(cleaned, candidate_email=request.candidate_email, candidate_phone=request.candidate_phone),
        author=by,
        retain_until=_retain_until(),
    )
    request.status, request.closed_at, request.closed_by = ReferenceRequest.Status.COMPLETED, timezone.now(), by
    request.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(
        by,
        "reference.completed",
        reference,
        organisation=acting,
        detail={"template_version": template.version, "request": request.pk},
    )
    _tell_agency(request)
    return reference


@transaction.atomic
def decline_request(*, request: ReferenceRequest, by, reason: str) -> ReferenceRequest:
    request = ReferenceRequest.objects.select_for_update().get(pk=request.pk)
    acting = access.require(by, "reference_request.answer", request, error=ReferenceError)
    if not request.is_open:
        raise ReferenceError(f"This request is already {request.get_status_display().lower()}.")
    if not reason.strip():
        raise ReferenceError("Give the reason for declining, so the agency knows what to do next.")
    request.status, request.declined_reason = ReferenceRequest.Status.DECLINED, reason.strip()
    request.closed_at, request.closed_by = timezone.now(), by
    request.save(update_fields=["status", "declined_reason", "closed_at", "closed_by"])
    audit.record(by, "reference_request.declined", request, organisation=acting)
    _tell_agency(request)
    return request


@transaction.atomic
def cancel_request(*, request: ReferenceRequest, by) -> ReferenceRequest:
    request = ReferenceRequest.objects.select_for_update().get(pk=request.pk)
    acting = access.require(by, "reference_request.cancel", request, error=ReferenceError)
    if not request.is_open:
        raise ReferenceError(f"This request is already {request.get_status_display().lower()}.")
    request.status, request.closed_at, request.closed_by = ReferenceRequest.Status.CANCELLED, timezone.now(), by
    request.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(by, "reference_request.cancelled", request, organisation=acting)
    return request


@transaction.atomic
def propose_candidate(
    *, agency: Agency, borough: Borough, by, registration_number: str, candidate_name: str
) -> Proposal:
    """Propose a candidate to a borough: from now that borough may read the references this agency holds
    about them. Proposing again changes nothing."""
    acting = access.require(by, "proposal.make", agency, error=ReferenceError)
    number = _registration_number(registration_number)
    proposal, created = Proposal.objects.get_or_create(
        agency=agency,
        borough=borough,
        registration_number=number,
        defaults={"candidate_name": candidate_name.strip(), "proposed_by": by},
    )
    if created:
        audit.record(by, "candidate.proposed", proposal, organisation=acting, detail={"borough": borough.pk})
    return proposal


# What a reference may be, by kind: the name's ending and the types a browser may declare for it.
DOCUMENT_KINDS = {
    "pdf": (".pdf", {"application/pdf", "application/x-pdf", "application/acrobat"}, "a PDF (.pdf)"),
    "docx": (
        ".docx",
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        "a Word document (.docx)",
    ),
}
# Types that say nothing of the content: a browser that does not know it, or a download saved as is.
UNDECLARED_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-download"}
# Macros and other active content in an Office file: its parts, content types and relationships.
_ACTIVE_PART = re.compile(r"(?:^|/)(?:vbaproject\.bin|vbadata\.xml|activex/)", re.IGNORECASE)
_ACTIVE_WORDS = ("macroenabled", "vbaproject", "vbadata", "activex")
_LISTS_OF_PARTS_MAX_BYTES = 1024 * 1024


def sniff_document(uploaded: UploadedFile) -> str:
    """ "pdf" or "docx", judged by the file's content, whatever its name; ``ReferenceError`` otherwise.

    A Word file with macros or other active content (a VBA project, a macro-enabled content type, ActiveX
    controls) is refused whatever it is called. The content decides the kind, and the file's name must end
    as that kind does (.pdf, .docx) and its declared type must not say another kind: a PDF is accepted only
    as a PDF."""
    limit = settings.REFERENCE_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise ReferenceError(f"The file is larger than {filesizeformat(limit)}. Upload a smaller copy.")
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    uploaded.seek(0)
    kind = _kind_by_content(data)
    ending, types, described = DOCUMENT_KINDS[kind]
    name = (uploaded.name or "").strip().lower()
    declared = (getattr(uploaded, "content_type", "") or "").split(";")[0].strip().lower()
    if not name.endswith(ending) or declared not in types | UNDECLARED_TYPES:
        raise ReferenceError(
            f"The file is {described} by its content, but its name or type says otherwise. Save it as "
            f"{described}, with a name ending {ending}, and upload it again."
        )
    return kind


def _kind_by_content(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise ReferenceError("The PDF is damaged or incomplete. Save it again and upload the new copy.")
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "word/document.xml" in names and "[Content_Types].xml" in names:
                    if _has_active_content(archive):
                        raise ReferenceError(
                            "The Word document contains macros or other active content, which a reference may "
                            "not carry. Save it as a Word document (.docx) without macros, or as a PDF, and upload "
                            "it again."
                        )
                    return "docx"
        except (zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException) as exc:
            raise ReferenceError("The file is damaged. Save it again and upload the new copy.") from exc
    raise ReferenceError(
        "The file must be a PDF or a Word document (.docx). Other files are not accepted, whatever their name."
    )


def _has_active_content(archive: zipfile.ZipFile) -> bool:
    """Whether an Office file carries macros or ActiveX controls: a part where Office keeps them (by its name),
    or, whatever a part is called, a content type or relationship that says so (read as XML, so no spelling
    of the XML hides it). Lists of parts too large to be real count as active."""
    if any(_ACTIVE_PART.search(name) for name in archive.namelist()):
        return True
    for info in archive.infolist():
        if info.filename != "[Content_Types].xml" and not info.filename.lower().endswith(".rels"):
            continue
        if info.file_size > _LISTS_OF_PARTS_MAX_BYTES:
            return True
        for element in ElementTree.fromstring(archive.read(info)).iter():
            declared = f"{element.get('ContentType', '')} {element.get('Type', '')}".lower()
            if any(word in declared for word in _ACTIVE_WORDS):
                return True
    return False


@transaction.atomic
def upload_reference(
    *,
    agency: Agency,
    issuing_borough: Borough,
    by,
    registration_number: str,
    candidate_name: str,
    uploaded: UploadedFile,
    answers: dict,
    candidate_email: str = "",
    candidate_phone: str = "",
) -> Reference:
    """An agency uploads a reference it holds, with the template's key answers. The file is checked by its
    content and stored privately; only ``references_visible_to`` users reach it, through a view."""
    acting = access.require(by, "reference.upload", agency, error=ReferenceError)
    number = _registration_number(registration_number)
    candidate_email, candidate_phone = _candidate_contacts(candidate_email, candidate_phone)
    kind = sniff_document(uploaded)
    template = current_template()
    cleaned = clean_answers(template, answers)
    reference = Reference(
        source=Reference.Source.UPLOADED,
        template=template,
        registration_number=number,
        candidate_name=candidate_name.strip(),
        issuing_borough=issuing_borough,
        agency=agency,
        answers=cleaned,
        **contact_columns(cleaned, candidate_email=candidate_email, candidate_phone=candidate_phone),
        author=by,
        retain_until=_retain_until(),
        file_name=f"reference-{number}.{kind}",
        file_type=kind,
    )
    reference.file.save(f"{timezone.now():%Y%m%d%H%M%S}-{number}.{kind}", uploaded, save=False)
    reference.save()
    audit.record(by, "reference.uploaded", reference, organisation=acting, detail={"file_type": kind})
    return reference


def record_access(*, reference: Reference, by, action: str, request=None) -> None:
    """Every view and download of a reference goes into the audit log (and so into its history), with the
    organisation the reader reached it through."""
    organisation = access.require(by, "reference.read", reference, error=ReferenceError)
    audit.record(by, f"reference.{action}", reference, organisation=organisation, request=request)


def delete_expired_references(*, today: date | None = None) -> int:
    """Delete references past their retention date, with their files. The audit entry keeps no personal
    data: only how many were deleted and their ids."""
    today = today or timezone.localdate()
    expired = list(Reference.objects.filter(retain_until__lt=today))
    for reference in expired:
        with transaction.atomic():
            if reference.file:
                reference.file.delete(save=False)
            reference_id = reference.pk
            request_id = reference.request_id
            reference.delete()
            if request_id:
                ReferenceRequest.objects.filter(pk=request_id).update(candidate_name="(deleted)")
            audit.record(
                None,
                "reference.deleted_after_retention",
                None,
                detail={"reference_id": reference_id, "retained_until": str(reference.retain_until)},
            )
    return len(expired)


# --- Versions of the shared reference template -------------------------------------------------------


@transaction.atomic
def draft_template(*, by) -> ReferenceTemplate:
    """Start the next version of the template as a copy of the current one (or return the draft already
    started: there is one draft at a time, so two analysts never edit rival versions)."""
    access.require(by, "reference_template.draft", error=ReferenceError)
    existing = ReferenceTemplate.objects.select_for_update().filter(published_on__isnull=True).first()
    if existing is not None:
        return existing
    current = current_template()
    latest = ReferenceTemplate.objects.order_by("-version").first()
    draft = ReferenceTemplate.objects.create(
        version=(latest.version if latest else 0) + 1,
        title=current.title if current else "London practice-based reference",
        schema=copy.deepcopy(current.schema) if current else {"sections": []},
        drafted_by=by,
    )
    audit.record(by, "reference_template.drafted", draft, detail={"version": draft.version})
    return draft


@transaction.atomic
def update_template_draft(*, template: ReferenceTemplate, by, title: str, notes: str, questions: list[dict]):
    """Replace a draft's title, notes and questions. Raises ``AnswersInvalid`` naming each bad question."""
    access.require(by, "reference_template.draft", template, error=ReferenceError)
    template = ReferenceTemplate.objects.select_for_update().get(pk=template.pk)
    if not template.is_draft:
        raise ReferenceError(f"Version {template.version} is published: published versions never change.")
    template.schema = build_schema(questions)
    template.title, template.notes = title.strip()[:200], notes.strip()[:2000]
    template.save(update_fields=["schema", "title", "notes"])
    audit.record(by, "reference_template.edited", template, detail={"version": template.version})
    return template


@transaction.atomic
def publish_template(*, template: ReferenceTemplate, by) -> ReferenceTemplate:
    """Publish a draft: from now on referees write on it; references written before keep their version."""
    access.require(by, "reference_template.draft", template, error=ReferenceError)
    template = ReferenceTemplate.objects.select_for_update().get(pk=template.pk)
    if not template.is_draft:
        raise ReferenceError(f"Version {template.version} is already published.")
    if not template.notes.strip():
        raise ReferenceError("Say what changed from the previous version before publishing.")
    build_schema(questions_of(template.schema))  # a draft that could not be asked is never published
    template.published_on, template.published_by = timezone.localdate(), by
    template.save(update_fields=["published_on", "published_by"])
    audit.record(by, "reference_template.published", template, detail={"version": template.version})
    return template


def record_shared_contacts_listing(*, references, region, by, request=None) -> int:
    """Listing references on the region's shared-contacts page is a view of personal data: one audit event per
    reference, in its history, with the region the analyst acted for."""
    organisation = access.require(by, "referee_contacts.read", region, error=ReferenceError)
    return audit.record_each(
        by,
        "reference.listed_as_shared_contact",
        references,
        organisation=organisation,
        detail={"region": region.pk},
        request=request,
    )
