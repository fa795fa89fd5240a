"""The first version of the shared practice-based reference template.

The schema is written out here, not imported, so that this migration always creates exactly version 1
whatever later versions look like.
"""

from datetime import date

from django.db import migrations

RATING = ["Outstanding", "Good", "Requires improvement", "Inadequate", "Not observed"]


def q(key, label, type_, *, required=True, choices=None, hint=""):
    question = {"key": key, "label": label, "type": type_, "required": required, "hint": hint}
    if choices:
        question["choices"] = choices
    return question


SCHEMA = {
    "sections": [
        {
            "key": "employment",
            "title": "Employment",
            "questions": [
                q("employed_from", "Employed from", "date"),
                q("employed_to", "Employed until", "date", required=False, hint="Leave blank if still employed"),
                q("job_title", "Job title", "short_text"),
                q(
                    "employment_type",
                    "How were they employed?",
                    "choice",
                    choices=["Permanent", "Fixed-term", "Agency (locum)"],
                ),
                q("team", "Team or service", "short_text", required=False),
            ],
        },
        {
            "key": "leaving",
            "title": "Reason for leaving",
            "questions": [
                q("reason_for_leaving", "Why did they leave?", "text"),
            ],
        },
        {
            "key": "caseload",
            "title": "Caseload and complexity",
            "questions": [
                q("caseload_size", "Typical caseload size", "short_text", hint="For example, 18 children"),
                q(
                    "caseload_complexity",
                    "The complexity of the work they held",
                    "text",
                    hint="For example child protection, children in care, court work",
                ),
            ],
        },
        {
            "key": "practice",
            "title": "Quality of practice",
            "questions": [
                q("assessment", "Assessment", "rating", choices=RATING),
                q("planning", "Planning", "rating", choices=RATING),
                q("recording", "Recording", "rating", choices=RATING),
                q("children_and_families", "Working with children and families", "rating", choices=RATING),
                q("multi_agency", "Multi-agency work", "rating", choices=RATING),
                q("practice_comments", "Comments on their practice", "text", required=False),
            ],
        },
        {
            "key": "supervision",
            "title": "Use of supervision",
            "questions": [
                q("supervision", "How did they use supervision and reflect on their practice?", "text"),
            ],
        },
        {
            "key": "concerns",
            "title": "Conduct, capability and safeguarding",
            "questions": [
                q("conduct_concerns", "Were there any conduct concerns?", "yes_no_details"),
                q("capability_concerns", "Were there any capability concerns?", "yes_no_details"),
                q("safeguarding_concerns", "Were there any safeguarding concerns about them?", "yes_no_details"),
                q("open_investigations", "Are any investigations open?", "yes_no_details"),
            ],
        },
        {
            "key": "sickness",
            "title": "Sickness absence",
            "questions": [
                q("sickness_days", "Days of sickness absence in their last 12 months of employment", "short_text"),
            ],
        },
        {
            "key": "re_employ",
            "title": "Re-employment",
            "questions": [
                q("would_re_employ", "Would you employ them again?", "yes_no_details"),
            ],
        },
        {
            "key": "referee",
            "title": "Referee",
            "questions": [
                q("referee_name", "Referee's name", "short_text"),
                q("referee_role", "Referee's job title", "short_text"),
                q("referee_contact", "Referee's email or phone", "short_text"),
            ],
        },
    ]
}


def create(apps, schema_editor):
    apps.get_model("references", "ReferenceTemplate").objects.update_or_create(
        version=1,
        defaults={
            "title": "London practice-based reference",
            "schema": SCHEMA,
            "published_on": date(2026, 11, 1),
            "notes": "First version, agreed for the London Pledge.",
        },
    )


def remove(apps, schema_editor):
    apps.get_model("references", "ReferenceTemplate").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("references", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
