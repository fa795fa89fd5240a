"""Demo reference work: an open request in Camden's queue, an answered one, and a proposal to Hackney."""

from agencies.models import Agency
from boroughs.models import Borough
from pledge_portal.accounts.models import User

from . import services
from .models import ReferenceRequest

DEMO_ANSWERS = {
    "employed_from": "2022-09-05",
    "employed_to": "2025-10-31",
    "job_title": "Social worker",
    "employment_type": "Permanent",
    "reason_for_leaving": "Left to work as a locum closer to home.",
    "caseload_size": "17 children",
    "caseload_complexity": "Child in need and child protection, some court work.",
    "assessment": "Good",
    "planning": "Good",
    "recording": "Requires improvement",
    "children_and_families": "Good",
    "multi_agency": "Outstanding",
    "supervision": "Came prepared and acted on reflective discussion.",
    "conduct_concerns": {"answer": "no"},
    "capability_concerns": {"answer": "no"},
    "safeguarding_concerns": {"answer": "no"},
    "open_investigations": {"answer": "no"},
    "sickness_days": "4",
    "would_re_employ": {"answer": "yes", "details": "We would welcome them back."},
    "referee_name": "Rowan Referee",
    "referee_role": "Team manager",
    "referee_contact": "rowan@camden.pledge.test",  # versions 1 and 2
    "referee_email": "rowan@camden.pledge.test",  # version 3 on
    "referee_phone": "020 7974 0000",
}


def seed_demo_references() -> None:
    agency = Agency.objects.get(organisation__slug="brightcare-social-work-ltd")
    if ReferenceRequest.objects.filter(agency=agency).exists():
        return
    camden = Borough.objects.get(gss_code="E09000007")
    hackney = Borough.objects.get(gss_code="E09000012")
    agency_user = User.objects.get(email="user@brightcare.pledge.test")
    answered = services.request_reference(
        agency=agency, borough=camden, by=agency_user, registration_number="SW100001", candidate_name="Jordan Example"
    )
    services.complete_reference(
        request=answered, by=User.objects.get(email="submitter@camden.pledge.test"), answers=DEMO_ANSWERS
    )
    services.propose_candidate(
        agency=agency, borough=hackney, by=agency_user, registration_number="SW100001", candidate_name="Jordan Example"
    )
    services.request_reference(
        agency=agency, borough=camden, by=agency_user, registration_number="SW100002", candidate_name="Sam Sample"
    )
