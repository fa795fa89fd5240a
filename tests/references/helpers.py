"""Shared by the reference tests and the tenancy walk."""

from pledge_portal.accounts.roles import Role
from references import services

GOOD_ANSWERS = {
    "employed_from": "2023-01-09",
    "employed_to": "2025-12-19",
    "job_title": "Senior social worker",
    "employment_type": "Permanent",
    "reason_for_leaving": "Moved to agency work",
    "caseload_size": "16 children",
    "caseload_complexity": "Child protection and court work",
    "assessment": "Good",
    "planning": "Good",
    "recording": "Outstanding",
    "children_and_families": "Good",
    "multi_agency": "Good",
    "supervision": "Used it well",
    "conduct_concerns": {"answer": "no"},
    "capability_concerns": {"answer": "no"},
    "safeguarding_concerns": {"answer": "no"},
    "open_investigations": {"answer": "no"},
    "sickness_days": "3",
    "would_re_employ": {"answer": "yes", "details": "Without hesitation"},
    "referee_name": "Rita Referee",
    "referee_role": "Team manager",
    "referee_contact": "rita@camden.example.test",  # versions 1 and 2 ask this
    "referee_email": "Rita.Referee@Camden.example.test",  # version 3 on
    "referee_phone": "020 7946 0001",
}


def ensure_reference_template() -> None:
    """Template versions 1, 2 and 3 come from data migrations; a transactional test's flush empties the table, so
    tests that run after one put it back the way the migration does."""
    import importlib

    from django.apps import apps

    importlib.import_module("references.migrations.0002_template_v1").create(apps, None)
    importlib.import_module("references.migrations.0004_template_v2").create(apps, None)
    importlib.import_module("references.migrations.0006_template_v3_referee_contacts").create(apps, None)


def completed_reference(side, *, registration_number="SW900001", candidate_name="Kit Completed"):
    """A request from the side's agency to its borough, answered by the borough's approver."""
    made = services.request_reference(
        agency=side.agency,
        borough=side.borough,
        by=side.users[Role.AGENCY_USER],
        registration_number=registration_number,
        candidate_name=candidate_name,
    )
    return services.complete_reference(request=made, by=side.users[Role.BOROUGH_APPROVER], answers=GOOD_ANSWERS)
