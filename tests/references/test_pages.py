"""Reference pages and API: an agency asks, a borough answers on the template or declines, an agency
uploads and proposes, readers download a PDF; every read is audited and every bad input is explained."""

import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from references import services
from references.forms import DETAILS_SUFFIX
from references.models import Proposal, Reference, ReferenceRequest
from tests.factories import BoroughFactory, user_with_role
from tests.references.helpers import GOOD_ANSWERS, completed_reference

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def form_data(answers: dict) -> dict:
    """The answers as the answers form posts them: a yes/no question is a radio and a details box."""
    data = {}
    for key, value in answers.items():
        if isinstance(value, dict):
            data[key] = value.get("answer", "")
            data[key + DETAILS_SUFFIX] = value.get("details", "")
        else:
            data[key] = value
    return data


@pytest.fixture
def agency_client(world, client_for):
    return client_for(world.own.users[Role.AGENCY_USER])


@pytest.fixture
def borough_client(world, client_for):
    return client_for(world.own.users[Role.BOROUGH_SUBMITTER])


@pytest.fixture
def open_request(world):
    return services.request_reference(
        agency=world.own.agency,
        borough=world.own.borough,
        by=world.own.users[Role.AGENCY_USER],
        registration_number="SW123456",
        candidate_name="Casey Candidate",
    )


def test_an_agency_requests_a_reference_with_dates_typed_the_uk_way(world, agency_client):
    response = agency_client.post(
        reverse("references:request-create"),
        {
            "borough": world.own.borough.pk,
            "registration_number": "sw 654321",
            "candidate_name": "Robin Requested",
            "employed_from": "09/01/2023",
            "employed_to": "19/12/2025",
        },
    )
    made = ReferenceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("references:request-detail", args=[made.pk])
    assert made.registration_number == "SW654321" and made.agency == world.own.agency
    assert str(made.employed_from) == "2023-01-09"
    page = agency_client.get(response["Location"]).content.decode()
    assert "Robin Requested" in page and f"It is due by {made.due_on:%-d %B %Y}" in page


def test_a_bad_request_form_lists_every_problem_and_keeps_what_was_typed(world, agency_client):
    response = agency_client.post(
        reverse("references:request-create"),
        {
            "borough": "",
            "registration_number": "12345",
            "candidate_name": "Robin Requested",
            "employed_from": "31/02/2024",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page
    for message in (
        "Choose the borough that employed them",
        "Enter the registration number as SW followed by digits",
        "Enter a real date",
    ):
        assert message in page
    assert 'value="Robin Requested"' in page
    assert not ReferenceRequest.objects.exists()


def test_a_repeated_request_is_refused_with_a_reason(world, agency_client, open_request):
    response = agency_client.post(
        reverse("references:request-create"),
        {"borough": world.own.borough.pk, "registration_number": "SW123456", "candidate_name": "Casey Candidate"},
    )
    assert response.status_code == 400 and "already have an open request" in response.content.decode()
    assert ReferenceRequest.objects.count() == 1


def test_the_borough_sees_its_queue_and_completes_the_reference(world, borough_client, agency_client, open_request):
    queue = borough_client.get(reverse("references:requests")).content.decode()
    assert "Casey Candidate" in queue and world.own.agency.name in queue
    form = borough_client.get(reverse("references:request-complete", args=[open_request.pk])).content.decode()
    assert "Quality of practice" in form and "Would you employ them again?" in form
    response = borough_client.post(
        reverse("references:request-complete", args=[open_request.pk]), form_data(GOOD_ANSWERS)
    )
    reference = Reference.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("references:reference-detail", args=[reference.pk])
    assert reference.answers["employed_from"] == "2023-01-09"
    assert reference.answers["would_re_employ"] == {"answer": "yes", "details": "Without hesitation"}
    open_request.refresh_from_db()
    assert open_request.status == ReferenceRequest.Status.COMPLETED
    # The agency reads it, and the read shows in the reference's history.
    page = agency_client.get(response["Location"]).content.decode()
    assert "Without hesitation" in page and "Senior social worker" in page and "9 January 2023" in page
    assert AuditEvent.objects.filter(action="reference.viewed", actor=world.own.users[Role.AGENCY_USER]).exists()
    assert "Who has seen this reference" in page


def test_missing_answers_are_all_reported_and_the_request_stays_open(borough_client, open_request):
    answers = {**GOOD_ANSWERS, "assessment": "", "referee_name": "", "safeguarding_concerns": {"answer": "yes"}}
    response = borough_client.post(reverse("references:request-complete", args=[open_request.pk]), form_data(answers))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Answer “Assessment”" in page and "Answer “Referee&#x27;s name”" in page
    assert "Give details for “Were there any safeguarding concerns about them?”" in page
    # The error summary links to the details box, where the answer is missing.
    assert f'href="#id_safeguarding_concerns{DETAILS_SUFFIX}"' in page
    assert 'value="Senior social worker"' in page  # nothing typed is lost
    assert not Reference.objects.exists()
    open_request.refresh_from_db()
    assert open_request.is_open


def test_a_second_submission_of_the_reference_changes_nothing(borough_client, open_request):
    url = reverse("references:request-complete", args=[open_request.pk])
    first = borough_client.post(url, form_data(GOOD_ANSWERS))
    second = borough_client.post(url, form_data({**GOOD_ANSWERS, "job_title": "Changed"}))
    assert first.status_code == 302
    assert second.status_code == 302 and second["Location"] == reverse(
        "references:request-detail", args=[open_request.pk]
    )
    assert Reference.objects.get().answers["job_title"] == "Senior social worker"


def test_another_borough_cannot_open_the_request(world, client_for, open_request):
    stranger = client_for(world.other.users[Role.BOROUGH_APPROVER])
    for name in ("request-detail", "request-complete", "request-decline"):
        assert stranger.get(reverse(f"references:{name}", args=[open_request.pk])).status_code == 404
    assert (
        stranger.post(
            reverse("references:request-complete", args=[open_request.pk]), form_data(GOOD_ANSWERS)
        ).status_code
        == 404
    )
    assert not Reference.objects.exists()


def test_the_borough_declines_with_a_reason_the_agency_reads(borough_client, agency_client, open_request):
    url = reverse("references:request-decline", args=[open_request.pk])
    assert "Give the reason for declining" in borough_client.post(url, {"reason": ""}).content.decode()
    assert borough_client.post(url, {"reason": "They never worked here"}).status_code == 302
    page = agency_client.get(reverse("references:request-detail", args=[open_request.pk])).content.decode()
    assert "They never worked here" in page and "Declined" in page


def test_the_agency_cancels_its_request_by_post_only(agency_client, open_request):
    url = reverse("references:request-cancel", args=[open_request.pk])
    assert agency_client.get(url).status_code == 405
    assert agency_client.post(url).status_code == 302
    open_request.refresh_from_db()
    assert open_request.status == ReferenceRequest.Status.CANCELLED


def test_a_completed_reference_downloads_as_a_pdf_naming_no_one(world, agency_client, tmp_path):
    reference = completed_reference(world.own, candidate_name="Kit Completed")
    response = agency_client.get(reverse("references:reference-download", args=[reference.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response["Content-Disposition"].lower()
    assert "kit" not in disposition and "completed" not in disposition and "sw900001" in disposition
    assert response["Cache-Control"] == "private, no-store"
    (tmp_path / "r.pdf").write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("Reference for Kit Completed", "Senior social worker", "Without hesitation", "Rita Referee"):
        assert expected in text
    assert AuditEvent.objects.filter(action="reference.downloaded", target_id=str(reference.pk)).exists()


def test_an_agency_uploads_a_reference_and_a_proposed_borough_reads_it(
    world, agency_client, client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    data = {
        "issuing_borough": world.own.borough.pk,
        "registration_number": "SW777",
        "candidate_name": "Uma Uploaded",
        "file": SimpleUploadedFile("anything.pdf", PDF, content_type="application/pdf"),
        **form_data(GOOD_ANSWERS),
    }
    response = agency_client.post(reverse("references:reference-upload"), data)
    reference = Reference.objects.get()
    assert response.status_code == 302 and reference.source == Reference.Source.UPLOADED
    second_borough = BoroughFactory(name="Second Borough", region=world.own.region)
    reader = client_for(user_with_role(Role.BOROUGH_SUBMITTER, second_borough.organisation))
    detail = reverse("references:reference-detail", args=[reference.pk])
    assert reader.get(detail).status_code == 404
    proposed = agency_client.post(
        reverse("references:proposal-create"),
        {"borough": second_borough.pk, "registration_number": "sw777", "candidate_name": "Uma Uploaded"},
    )
    assert proposed.status_code == 302 and Proposal.objects.filter(borough=second_borough).exists()
    assert "Uma Uploaded" in reader.get(reverse("references:references")).content.decode()
    page = reader.get(detail).content.decode()
    assert "Uma Uploaded" in page and "Who has seen this reference" not in page  # history is for the parties
    download = reader.get(reverse("references:reference-download", args=[reference.pk]))
    assert download.status_code == 200 and download.content == PDF


def test_a_renamed_file_is_refused_and_the_answers_typed_are_kept(world, agency_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = {
        "issuing_borough": world.own.borough.pk,
        "registration_number": "SW777",
        "candidate_name": "Uma Uploaded",
        "file": SimpleUploadedFile("reference.pdf", b"MZ\x90\x00 a renamed program"),
        **form_data(GOOD_ANSWERS),
    }
    response = agency_client.post(reverse("references:reference-upload"), data)
    page = response.content.decode()
    assert response.status_code == 400 and "must be a PDF or a Word document" in page
    assert 'value="Uma Uploaded"' in page and "Rita Referee" in page
    assert not Reference.objects.exists() and not any(tmp_path.rglob("*.*"))


def test_a_huge_upload_is_cut_off_as_it_streams_in_and_explained(world, agency_client, settings, tmp_path):
    settings.MEDIA_ROOT, settings.UPLOAD_MAX_BYTES = tmp_path, 64 * 1024
    data = {
        "issuing_borough": world.own.borough.pk,
        "registration_number": "SW777",
        "candidate_name": "Uma Uploaded",
        "file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (256 * 1024) + b"%%EOF"),
        **form_data(GOOD_ANSWERS),
    }
    response = agency_client.post(reverse("references:reference-upload"), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The file is larger than 64.0\xa0KB" in page and "Choose the file to upload" not in page
    assert not Reference.objects.exists()


def test_the_api_makes_and_reads_requests_and_audits_each_read(world, client_for):
    agency = client_for(world.own.users[Role.AGENCY_USER])
    made = agency.post(
        reverse("api-reference-requests"),
        {"borough": world.own.borough.gss_code, "registration_number": "SW42", "candidate_name": "Ana Api"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "requested" and made.json()["due_on"]
    bad = agency.post(reverse("api-reference-requests"), {"borough": "E09999999"}, content_type="application/json")
    assert bad.status_code == 400 and {"borough", "registration_number", "candidate_name"} <= set(bad.json())
    borough = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    refused = borough.post(
        reverse("api-reference-requests"),
        {"borough": world.own.borough.gss_code, "registration_number": "SW43", "candidate_name": "B"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "Only agency users" in str(refused.json())
    reference = completed_reference(world.own)
    listed = agency.get(reverse("api-references")).json()
    assert [r["id"] for r in listed["results"]] == [reference.pk] and "answers" not in listed["results"][0]
    read = agency.get(reverse("api-reference", args=[reference.pk])).json()
    assert read["answers"]["job_title"] == "Senior social worker" and read["template_version"] == 3
    assert AuditEvent.objects.filter(action="reference.viewed_by_api", target_id=str(reference.pk)).count() == 1
    assert (
        client_for(world.other.users[Role.AGENCY_USER]).get(reverse("api-reference", args=[reference.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("name", ["references:requests", "references:references", "references:proposals"])
def test_list_pages_cost_the_same_queries_for_one_row_or_many(name, world, client_for, django_assert_max_num_queries):
    user = world.own.users[Role.AGENCY_USER]
    client = client_for(user)
    completed_reference(world.own, registration_number="SW1")
    services.propose_candidate(
        agency=world.own.agency, borough=world.own.borough, by=user, registration_number="SW1", candidate_name="A"
    )
    services.request_reference(
        agency=world.own.agency, borough=world.own.borough, by=user, registration_number="SW100", candidate_name="B"
    )
    client.get(reverse(name))  # warm the per-process caches (the session, the journeys)
    with django_assert_max_num_queries(30) as one:
        client.get(reverse(name) + "?show=all")
    for n in range(2, 12):
        completed_reference(world.own, registration_number=f"SW{n}")
        services.request_reference(
            agency=world.own.agency,
            borough=world.own.borough,
            by=user,
            registration_number=f"SW{n + 100}",
            candidate_name="B",
        )
        services.propose_candidate(
            agency=world.own.agency,
            borough=world.own.borough,
            by=user,
            registration_number=f"SW{n}",
            candidate_name="A",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse(name) + "?show=all")
    assert response.status_code == 200


@pytest.mark.parametrize("answer", ["complete", "decline"])
def test_the_agency_user_who_asked_is_emailed_when_the_borough_answers(
    answer, world, borough_client, open_request, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        if answer == "complete":
            url, data = reverse("references:request-complete", args=[open_request.pk]), form_data(GOOD_ANSWERS)
        else:
            url, data = reverse("references:request-decline", args=[open_request.pk]), {"reason": "Never worked here"}
        assert borough_client.post(url, data).status_code == 302
    [email] = mailoutbox
    assert email.to == [world.own.users[Role.AGENCY_USER].email]
    assert ("written" if answer == "complete" else "declined") in email.subject
    assert reverse("references:request-detail", args=[open_request.pk]) in email.body
    assert "Casey" not in email.subject + email.body and "SW123456" not in email.body  # no personal data
