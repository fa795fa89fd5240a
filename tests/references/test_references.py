"""References: requests with working-day due dates, answers on a versioned template, narrow access,
uploads checked by content, and deletion after the retention period."""

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from pledge_portal.core.working_days import add_working_days
from references import services
from references.answers import AnswersInvalid, clean_answers
from references.models import Reference, ReferenceRequest, ReferenceTemplate
from references.selectors import current_template, reference_history, references_visible_to, requests_visible_to
from tests.factories import BoroughFactory, user_with_role
from tests.references.helpers import GOOD_ANSWERS


@pytest.fixture
def request_made(world):
    agency_user = world.own.users[Role.AGENCY_USER]
    return services.request_reference(
        agency=world.own.agency,
        borough=world.own.borough,
        by=agency_user,
        registration_number="sw 123456",
        candidate_name="Casey Candidate",
    )


def test_a_request_is_due_in_working_days_and_audited(request_made):
    assert request_made.registration_number == "SW123456"
    assert request_made.due_on == add_working_days(timezone.localdate(), 5)
    assert AuditEvent.objects.filter(action="reference_request.made", target_id=str(request_made.pk)).exists()


def test_a_second_open_request_for_the_same_candidate_is_refused(world, request_made):
    with pytest.raises(services.ReferenceError, match="already have an open request"):
        services.request_reference(
            agency=world.own.agency,
            borough=world.own.borough,
            by=world.own.users[Role.AGENCY_ADMIN],
            registration_number="SW123456",
            candidate_name="Casey Candidate",
        )


def test_only_the_agencys_users_may_ask(world):
    with pytest.raises(services.ReferenceError):
        services.request_reference(
            agency=world.own.agency,
            borough=world.own.borough,
            by=world.other.users[Role.AGENCY_USER],
            registration_number="SW1",
            candidate_name="X",
        )
    with pytest.raises(services.ReferenceError, match="SW followed by digits"):
        services.request_reference(
            agency=world.own.agency,
            borough=world.own.borough,
            by=world.own.users[Role.AGENCY_USER],
            registration_number="12345",
            candidate_name="X",
        )


def test_a_candidate_pasted_with_hidden_characters_is_the_same_candidate_and_other_digits_are_refused(
    world, request_made
):
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    second_borough = BoroughFactory(name="Second Borough", region=world.own.region)
    second_user = user_with_role(Role.BOROUGH_SUBMITTER, second_borough.organisation)
    proposal = services.propose_candidate(
        agency=world.own.agency,
        borough=second_borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW\u200b123\u00ad456",
        candidate_name="Casey Candidate",
    )
    assert proposal.registration_number == "SW123456"
    assert references_visible_to(second_user).filter(pk=reference.pk).exists()  # matched on the clean number
    with pytest.raises(services.ReferenceError, match="digits other than 0 to 9"):
        services.request_reference(
            agency=world.own.agency,
            borough=second_borough,
            by=world.own.users[Role.AGENCY_USER],
            registration_number="SW١٢٣٤٥٦",
            candidate_name="Casey Candidate",
        )


def test_the_borough_completes_it_on_the_current_template(world, request_made):
    reference = services.complete_reference(
        request=request_made,
        by=world.own.users[Role.BOROUGH_SUBMITTER],
        answers={**GOOD_ANSWERS, "not_a_question": "dropped"},
    )
    request_made.refresh_from_db()
    assert request_made.status == ReferenceRequest.Status.COMPLETED
    assert reference.template == current_template() and "not_a_question" not in reference.answers
    with pytest.raises(services.ReferenceError, match="already completed"):
        services.complete_reference(
            request=request_made, by=world.own.users[Role.BOROUGH_APPROVER], answers=GOOD_ANSWERS
        )


def test_another_borough_cannot_answer(world, request_made):
    with pytest.raises(services.ReferenceError):
        services.complete_reference(
            request=request_made, by=world.other.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
        )


def test_answers_are_checked_with_a_message_per_question(db):
    template = current_template()
    bad = {
        **GOOD_ANSWERS,
        "assessment": "Brilliant",
        "employed_to": "2020-01-01",
        "safeguarding_concerns": {"answer": "yes"},
        "referee_name": "",
    }
    with pytest.raises(AnswersInvalid) as exc:
        clean_answers(template, bad)
    assert set(exc.value.errors) == {"assessment", "employed_to", "safeguarding_concerns", "referee_name"}
    assert exc.value.errors["safeguarding_concerns"].startswith("Give details")


def test_declining_needs_a_reason(world, request_made):
    submitter = world.own.users[Role.BOROUGH_SUBMITTER]
    with pytest.raises(services.ReferenceError, match="Give the reason"):
        services.decline_request(request=request_made, by=submitter, reason=" ")
    services.decline_request(request=request_made, by=submitter, reason="They never worked here")
    request_made.refresh_from_db()
    assert request_made.status == ReferenceRequest.Status.DECLINED


def test_a_reference_keeps_the_template_version_it_was_written_on(world, request_made):
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    written_on = reference.template
    ReferenceTemplate.objects.create(
        version=written_on.version + 1, title="Next version", schema={"sections": []}, published_on=date(2027, 1, 1)
    )
    reference.refresh_from_db()
    assert current_template().version == written_on.version + 1 and reference.template == written_on
    assert [q["key"] for _, q in reference.template.questions()][0] == "employed_from"


def test_access_is_narrow_until_the_candidate_is_proposed(world, request_made):
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    second_borough = BoroughFactory(name="Second Borough", region=world.own.region)
    second_user = user_with_role(Role.BOROUGH_SUBMITTER, second_borough.organisation)

    def can_read(user) -> bool:
        return references_visible_to(user).filter(pk=reference.pk).exists()

    assert can_read(world.own.users[Role.BOROUGH_SUBMITTER])  # the issuing borough
    assert can_read(world.own.users[Role.AGENCY_USER])  # the requesting agency
    for outsider in (
        second_user,
        world.other.users[Role.AGENCY_ADMIN],
        world.own.users[Role.REGIONAL_ANALYST],
        world.own.users[Role.MSP_USER],
        world.own.users[Role.STEERING_MEMBER],
    ):
        assert not can_read(outsider)
    # Another agency proposing the same worker to the second borough opens nothing.
    services.propose_candidate(
        agency=world.other.agency,
        borough=second_borough,
        by=world.other.users[Role.AGENCY_USER],
        registration_number="SW123456",
        candidate_name="Casey Candidate",
    )
    assert not can_read(second_user)
    services.propose_candidate(
        agency=world.own.agency,
        borough=second_borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW123456",
        candidate_name="Casey Candidate",
    )
    assert can_read(second_user)
    assert not requests_visible_to(second_user).exists()  # the request itself stays between the two parties


def test_views_and_downloads_make_the_reference_history(world, request_made):
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    services.record_access(reference=reference, by=world.own.users[Role.AGENCY_USER], action="viewed")
    services.record_access(reference=reference, by=world.own.users[Role.AGENCY_USER], action="downloaded")
    assert [e.action for e in reference_history(reference)] == [
        "reference.completed",
        "reference.viewed",
        "reference.downloaded",
    ]


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES = '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{}</Types>'


def _docx(content_types: str = "<Types/>", parts: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", "<w:document/>")
        for name, text in (parts or {}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _word_main(content_type: str) -> str:
    return CONTENT_TYPES.format(f'<Override PartName="/word/document.xml" ContentType="{content_type}"/>')


def _upload(world, name: str, content: bytes, declared: str = "") -> Reference:
    """The own agency uploads ``content`` as a file called ``name``, its type declared as ``declared``."""
    return services.upload_reference(
        agency=world.own.agency,
        issuing_borough=world.own.borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW7",
        candidate_name="Casey",
        uploaded=SimpleUploadedFile(name, content, content_type=declared),
        answers=GOOD_ANSWERS,
    )


@pytest.mark.parametrize(
    "name, content, declared, kind",
    [
        ("reference.pdf", PDF, "application/pdf", "pdf"),
        ("Reference.PDF", PDF, "application/octet-stream", "pdf"),  # a browser that does not know the type
        ("reference.docx", _docx(), DOCX_TYPE, "docx"),
        ("reference.docx", _docx(_word_main(WORD_MAIN)), "", "docx"),
    ],
)
def test_uploads_are_accepted_by_content_named_as_it_is(
    world, name, content, declared, kind, settings, tmp_path, client_for
):
    settings.MEDIA_ROOT = tmp_path
    reference = _upload(world, name, content, declared)
    assert reference.file_type == kind and reference.file.read() == content
    # Stored privately: no URL of the portal serves the storage directly, not even to a platform admin.
    assert client_for(world.platform_admin).get("/" + reference.file.name).status_code == 404


MACROS = "The Word document contains macros or other active content"
VBA = "application/vnd.ms-office.vbaProject"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("reference.pdf", b"MZ\x90\x00 a renamed Windows executable", "PDF or a Word document"),
        ("reference.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntruncated", "damaged or incomplete"),
        ("reference.docx", b"PK\x03\x04 not really a zip", "damaged"),
        ("reference.docx", b"", "PDF or a Word document"),
        # Macro-enabled Word files, whatever they are called
        ("reference.docx", _docx(parts={"word/vbaProject.bin": "VBA"}), MACROS),
        ("reference.docm", _docx(parts={"word/vbaData.xml": "<wne:vbaSuppData/>"}), MACROS),
        ("reference.docx", _docx(_word_main("application/vnd.ms-word.document.macroEnabled.main+xml")), MACROS),
        (  # the VBA part renamed, but declared for what it is
            "reference.docx",
            _docx(CONTENT_TYPES.format(f'<Override PartName="/word/notes.dat" ContentType="{VBA}"/>')),
            MACROS,
        ),
        (  # or declared by a default for its extension, spelled with character references
            "reference.docx",
            _docx(
                CONTENT_TYPES.format(
                    '<Default Extension="dat" ContentType="application/vnd.ms-office.&#118;baProject"/>'
                )
            ),
            MACROS,
        ),
        (
            "reference.docx",
            _docx(
                parts={
                    "word/_rels/document.xml.rels": '<Relationships><Relationship Id="r" Type="http://schemas.'
                    'microsoft.com/office/2006/relationships/vbaProject" Target="notes.dat"/></Relationships>'
                }
            ),
            MACROS,
        ),
        ("reference.docx", _docx(parts={"word/activeX/activeX1.xml": "<ax:ocx/>"}), MACROS),
        ("reference.docx", _docx('<!DOCTYPE t [<!ENTITY a "aaaa">]><Types>&a;</Types>'), "damaged"),
        # A PDF only as a PDF, a Word document only as one
        ("reference.docx", PDF, "The file is a PDF (.pdf) by its content, but its name or type says otherwise."),
        ("reference", PDF, "The file is a PDF (.pdf) by its content"),
        ("reference.txt", _docx(), "The file is a Word document (.docx) by its content, but its name or type"),
        ("reference.pdf", _docx(), "The file is a Word document (.docx) by its content"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(world, name, content, message, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(services.ReferenceError, match=re.escape(message)):
        _upload(world, name, content)
    assert not Reference.objects.exists() and not any(tmp_path.rglob("*.*"))


@pytest.mark.parametrize("declared", ["text/html", "image/svg+xml", DOCX_TYPE, "text/plain"])
def test_a_pdf_declared_as_another_type_is_refused(world, declared, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(services.ReferenceError, match="name or type says otherwise"):
        _upload(world, "reference.pdf", PDF, declared)
    assert not Reference.objects.exists()


def test_an_oversized_upload_is_refused(world, settings, tmp_path):
    settings.MEDIA_ROOT, settings.REFERENCE_UPLOAD_MAX_BYTES = tmp_path, 1024
    with pytest.raises(services.ReferenceError, match="larger than"):
        services.upload_reference(
            agency=world.own.agency,
            issuing_borough=world.own.borough,
            by=world.own.users[Role.AGENCY_USER],
            registration_number="SW7",
            candidate_name="Casey",
            uploaded=SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2048 + b"%%EOF"),
            answers=GOOD_ANSWERS,
        )


def test_references_are_deleted_after_retention_leaving_no_personal_data(world, request_made, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    kept = services.upload_reference(
        agency=world.own.agency,
        issuing_borough=world.own.borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW8",
        candidate_name="Kept",
        answers=GOOD_ANSWERS,
        uploaded=SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF", content_type="application/pdf"),
    )
    Reference.objects.filter(pk=reference.pk).update(retain_until=timezone.localdate() - timedelta(days=1))
    assert services.delete_expired_references() == 1
    assert list(Reference.objects.all()) == [kept]
    entry = AuditEvent.objects.get(action="reference.deleted_after_retention")
    assert "SW123456" not in str(entry.detail) + entry.target_label and "Casey" not in str(entry.detail)
    request_made.refresh_from_db()
    assert request_made.candidate_name == "(deleted)"


def test_the_retention_task_runs_from_the_schedule(world, request_made, settings):
    from pledge_portal.celery import app

    app.loader.import_default_modules()  # what a worker does at start: find every app's tasks module
    entry = settings.CELERY_BEAT_SCHEDULE["delete-references-past-retention"]
    reference = services.complete_reference(
        request=request_made, by=world.own.users[Role.BOROUGH_SUBMITTER], answers=GOOD_ANSWERS
    )
    Reference.objects.filter(pk=reference.pk).update(retain_until=date(2000, 1, 1))
    assert app.tasks[entry["task"]].apply().get() == 1


def test_reminders_go_to_the_borough_once_a_day_for_due_and_overdue_requests(world, request_made, mailoutbox):
    from references.tasks import send_reference_reminders

    later = services.request_reference(
        agency=world.own.agency,
        borough=world.own.borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW9",
        candidate_name="Not yet due",
    )
    ReferenceRequest.objects.filter(pk=request_made.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    assert send_reference_reminders() == 1
    assert send_reference_reminders() == 0  # the same day again: nothing more
    (message,) = mailoutbox
    assert message.subject.startswith("Overdue:")
    assert set(message.to) == {
        world.own.users[Role.BOROUGH_SUBMITTER].email,
        world.own.users[Role.BOROUGH_APPROVER].email,
    }
    later.refresh_from_db()
    assert later.reminded_on is None


def test_the_borough_is_emailed_when_a_request_arrives(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = services.request_reference(
            agency=world.own.agency,
            borough=world.own.borough,
            by=world.own.users[Role.AGENCY_USER],
            registration_number="SW4242",
            candidate_name="Robin Candidate",
        )
    (mail,) = mailoutbox
    assert set(mail.to) == {world.own.users[Role.BOROUGH_SUBMITTER].email, world.own.users[Role.BOROUGH_APPROVER].email}
    assert f"request number {made.pk}" in mail.body and "Robin Candidate" not in mail.body + mail.subject
