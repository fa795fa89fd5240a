"""Versions of the shared reference template: version 2 asks for details the right way round, and analysts
draft, preview and publish the next version without a developer; earlier references keep their version."""

import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from references import services
from references.answers import AnswersInvalid, answer_sections, clean_answers
from references.models import ReferenceTemplate
from references.selectors import current_template

from .helpers import GOOD_ANSWERS as ANSWERS
from .helpers import completed_reference


def test_version_2_asks_why_when_the_referee_would_not_re_employ(db):
    v1, v2 = ReferenceTemplate.objects.get(version=1), ReferenceTemplate.objects.get(version=2)
    assert not v2.is_draft
    with pytest.raises(AnswersInvalid) as refused:
        clean_answers(v2, {**ANSWERS, "would_re_employ": {"answer": "no", "details": ""}})
    assert "would_re_employ" in refused.value.errors
    assert clean_answers(v2, {**ANSWERS, "would_re_employ": {"answer": "yes", "details": ""}})["would_re_employ"] == {
        "answer": "yes",
        "details": "",
    }
    # Version 1 keeps its own (wrong-way-round) rule, so its references still read as they were written.
    with pytest.raises(AnswersInvalid):
        clean_answers(v1, {**ANSWERS, "would_re_employ": {"answer": "yes", "details": ""}})


def test_an_earlier_reference_keeps_its_version(world):
    reference = completed_reference(world.own)
    reference.template = ReferenceTemplate.objects.get(version=1)
    reference.save(update_fields=["template"])
    titles = [title for title, _ in answer_sections(reference.template, reference.answers)]
    assert "Re-employment" in titles


QUESTION = {
    "q-TOTAL_FORMS": "2",
    "q-INITIAL_FORMS": "0",
    "q-0-section": "Employment",
    "q-0-label": "Job title",
    "q-0-key": "job_title",
    "q-0-type": "short_text",
    "q-0-required": "on",
    "q-1-section": "Re-employment",
    "q-1-label": "Would you employ them again?",
    "q-1-key": "would_re_employ",
    "q-1-type": "yes_no_details",
    "q-1-details_when": "no",
}


def test_an_analyst_drafts_previews_and_publishes_the_next_version(world, client_for):
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    lead = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    started = analyst.post(reverse("references:template-draft"))
    draft = ReferenceTemplate.objects.get(published_on__isnull=True)
    assert started.status_code == 302 and draft.version == 4 and current_template().version == 3
    assert analyst.post(reverse("references:template-draft")).url == started.url  # one draft at a time
    edit = reverse("references:template-edit", args=[4])
    assert "Would you employ them again?" in analyst.get(edit).content.decode()
    bad = analyst.post(edit, {"title": "London reference", "notes": "", **QUESTION, "q-1-type": "choice"})
    assert bad.status_code == 400 and "at least two options" in bad.content.decode()
    saved = analyst.post(edit, {"title": "London reference", "notes": "", **QUESTION})
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert [q["key"] for _, q in draft.questions()] == ["job_title", "would_re_employ"]
    preview = analyst.get(reverse("references:template-detail", args=[4])).content.decode()
    assert "Nothing typed here is saved" in preview and "Required if you answer no" in preview
    # Readers never see a draft; publishing needs a note of what changed.
    assert lead.get(reverse("references:template-detail", args=[4])).status_code == 404
    assert lead.post(reverse("references:template-publish", args=[4])).status_code == 403
    analyst.post(reverse("references:template-publish", args=[4]))
    assert current_template().version == 3
    analyst.post(edit, {"title": "London reference", "notes": "Shorter for the pilot", **QUESTION})
    analyst.post(reverse("references:template-publish", args=[4]))
    assert current_template().version == 4 and current_template().published_by == world.own.users[Role.REGIONAL_ANALYST]
    assert analyst.get(edit).status_code == 302  # published: never edited again
    with pytest.raises(services.ReferenceError, match="regional analysts"):
        services.draft_template(by=world.own.users[Role.BOROUGH_APPROVER])


def test_an_agency_checks_a_candidates_cool_off_before_proposing_them(world, client_for):
    from datetime import date

    from pledge_portal.audit.models import AuditEvent
    from tests.returns.helpers import add_row, draft_return

    own = world.own
    ret = draft_return(own)
    # A borough reported that this worker left a permanent post with the MSP's borough on 1 March 2026.
    add_row(ret, own, registration_number="SW777", previous_employer=own.msp_borough, left_previous_on=date(2026, 3, 1))
    agency = client_for(own.users[Role.AGENCY_USER])
    url = reverse("references:cool-off-check")

    def ask(borough, start: str) -> str:
        response = agency.get(url, {"registration_number": "sw 777", "borough": borough.pk, "start": start})
        assert response.status_code == 200
        return response.content.decode()

    assert "they may start there from 1 September 2026" in ask(own.borough, "01/07/2026")  # Pledge: 6 months
    assert "Clear on that date" in ask(own.borough, "01/09/2026")
    assert "from 1 June 2026" in ask(own.msp_borough, "01/05/2026")  # the borough they left: the DfE's 3 months
    warning = ask(own.borough, "01/07/2026").split("govuk-warning-text__text")[1].split("</strong>")[0]
    assert own.msp_borough.name not in warning  # which borough they left is not told
    assert "No borough has reported" in ask(world.other.borough, "01/07/2026")  # another region
    assert AuditEvent.objects.filter(action="cool_off.checked", detail__registration_number="SW777").count() == 5
    assert client_for(own.users[Role.BOROUGH_SUBMITTER]).get(url).status_code == 403
