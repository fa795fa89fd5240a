"""The workflow: draft, submitted, signed off, accepted; returned for amendment; reopened. Each step is
refused to the wrong person or from the wrong status, recorded as a transition and audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from returns import services
from returns.models import Finding, QueryExplanation, Return, ValidationRun

from .helpers import add_row, draft_return, good_row


def checked(ret: Return, *, errors=0, queries=()) -> ValidationRun:
    """Record a finished check of the return's current revision with the given findings (the rules
    themselves are tested in test_rules)."""
    ret.refresh_from_db()
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision, finished_at=timezone.now(), errors=errors)
    for i in range(errors):
        Finding.objects.create(run=run, ret=ret, rule_code="ROW-001", severity="error", message="Fix it", key=f"e{i}")
    for key in queries:
        Finding.objects.create(run=run, ret=ret, rule_code="ROW-010", severity="query", message="Why?", key=key)
    run.queries = len(queries)
    run.save(update_fields=["queries"])
    Return.objects.filter(pk=ret.pk).update(validated_revision=ret.revision)
    ret.refresh_from_db()
    return ret


@pytest.fixture
def ret(world):
    ret = draft_return(world.own)
    add_row(ret, world.own)
    return checked(ret)


def test_the_whole_way_to_accepted(world, ret, mailoutbox, django_capture_on_commit_callbacks):
    side = world.own
    lead, approver, analyst = (
        side.users[r] for r in (Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER, Role.REGIONAL_ANALYST)
    )

    def told(step):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            step()
        return {address for m in mailoutbox for address in m.to}

    # Each hand-off tells whoever the return now waits for, and nobody in another region.
    assert told(lambda: services.submit_return(ret=ret, by=lead)) == {approver.email, analyst.email}
    assert mailoutbox[0].alternatives and "Open the return" in mailoutbox[0].alternatives[0][0]
    assert told(lambda: services.sign_off_return(ret=ret, by=approver)) == {analyst.email}
    assert told(lambda: services.accept_return(ret=ret, by=analyst, comment="Thanks")) == {lead.email, approver.email}
    assert "Thanks" in mailoutbox[0].body
    ret.refresh_from_db()
    assert ret.status == Return.Status.ACCEPTED
    assert [t.to_status for t in ret.transitions.all()] == ["submitted", "signed_off", "accepted"]
    assert ret.snapshots.get().data["assignments"][0]["registration_number"] == "SW100200"
    actions = set(AuditEvent.objects.filter(target_id=str(ret.pk)).values_list("action", flat=True))
    assert {"return.submitted", "return.signed_off", "return.accepted"} <= actions


def test_submission_needs_a_check_of_this_revision(world, ret):
    add_row(ret, world.own, registration_number="SW2")  # changed since the check
    with pytest.raises(services.ReturnError, match="changed since it was last checked"):
        services.submit_return(ret=ret, by=world.own.users[Role.BOROUGH_SUBMITTER])


def test_submission_needs_no_errors_and_every_query_explained(world):
    side = world.own
    ret = checked(draft_return(side), errors=1, queries=["q1"])
    with pytest.raises(services.ReturnError, match="Correct the 1 error.*Explain the 1 query"):
        services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    ret = checked(ret, queries=["q1"])
    services.explain_query(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER], key="q1", text="Agreed with the DCS")
    services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    assert ret.snapshots.get().data["explanations"] == {"q1": "Agreed with the DCS"}


def test_an_empty_explanation_or_unknown_query_is_refused(world):
    side = world.own
    ret = checked(draft_return(side), queries=["q1"])
    by = side.users[Role.BOROUGH_SUBMITTER]
    with pytest.raises(services.ReturnError, match="Write an explanation"):
        services.explain_query(ret=ret, by=by, key="q1", text="  ")
    with pytest.raises(services.ReturnError, match="not on this return"):
        services.explain_query(ret=ret, by=by, key="forged", text="x")
    assert not QueryExplanation.objects.exists()


@pytest.mark.parametrize(
    "step, role",
    [
        ("submit", Role.REGIONAL_ANALYST),
        ("submit", Role.AGENCY_USER),
        ("sign_off", Role.BOROUGH_SUBMITTER),
        ("accept", Role.BOROUGH_APPROVER),
    ],
)
def test_each_step_is_refused_to_the_wrong_role(step, role, world, ret):
    side = world.own
    if step != "submit":
        services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    if step == "accept":
        services.sign_off_return(ret=ret, by=side.users[Role.BOROUGH_APPROVER])
    action = {"submit": services.submit_return, "sign_off": services.sign_off_return, "accept": services.accept_return}
    with pytest.raises(services.ReturnError):
        action[step](ret=ret, by=side.users[role])
    with pytest.raises(services.ReturnError):  # and to the same role of another tenant
        action[step](
            ret=ret,
            by=world.other.users[
                {"submit": Role.BOROUGH_SUBMITTER, "sign_off": Role.BOROUGH_APPROVER, "accept": Role.REGIONAL_ANALYST}[
                    step
                ]
            ],
        )


def test_steps_out_of_order_are_refused(world, ret):
    side = world.own
    with pytest.raises(services.ReturnError, match="Only a submitted return can be signed off"):
        services.sign_off_return(ret=ret, by=side.users[Role.BOROUGH_APPROVER])
    with pytest.raises(services.ReturnError, match="Only a signed-off return can be accepted"):
        services.accept_return(ret=ret, by=side.users[Role.REGIONAL_ANALYST])
    services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    with pytest.raises(services.ReturnError, match="already submitted"):
        services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    with pytest.raises(services.ReturnError, match="cannot be changed"):
        add_row(ret, side, registration_number="SW3")


def test_returned_for_amendment_with_a_comment_then_resubmitted_keeps_both_versions(world, ret):
    side = world.own
    analyst = side.users[Role.REGIONAL_ANALYST]
    services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    with pytest.raises(services.ReturnError, match="Say what the borough needs to change"):
        services.return_for_amendment(ret=ret, by=analyst, comment=" ")
    services.return_for_amendment(ret=ret, by=analyst, comment="Row 1's agency is wrong")
    ret.refresh_from_db()
    assert ret.status == Return.Status.RETURNED and ret.returned_comment == "Row 1's agency is wrong"
    add_row(ret, side, registration_number="SW4")
    services.submit_return(ret=checked(ret), by=side.users[Role.BOROUGH_SUBMITTER])
    first, second = ret.snapshots.all()
    assert len(first.data["assignments"]) == 1 and len(second.data["assignments"]) == 2


def test_an_accepted_return_changes_only_after_an_audited_reopening(world, ret):
    side = world.own
    analyst = side.users[Role.REGIONAL_ANALYST]
    services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    services.sign_off_return(ret=ret, by=side.users[Role.BOROUGH_APPROVER])
    services.accept_return(ret=ret, by=analyst)
    with pytest.raises(services.ReturnError, match="Ask your regional analyst to reopen it"):
        add_row(ret, side, registration_number="SW5")
    services.reopen_return(ret=ret, by=analyst, comment="DfE asked for a correction")
    add_row(ret, side, registration_number="SW5")
    assert AuditEvent.objects.filter(action="return.returned", target_id=str(ret.pk)).exists()


def test_a_locked_period_refuses_changes_to_a_draft(world, ret):
    side = world.own
    services.lock_period(period=ret.period, by=side.users[Role.REGIONAL_ANALYST])
    with pytest.raises(services.ReturnError, match="locked"):
        add_row(ret, side, registration_number="SW6")


def test_sign_off_waits_for_each_breach_to_be_signed_off(world):
    side = world.own
    ret = draft_return(side)
    row = add_row(ret, side, hourly_pay_rate="39.99")  # over the £36.40 social worker cap
    ret.refresh_from_db()
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision, finished_at=timezone.now(), errors=1)
    Finding.objects.create(
        run=run, ret=ret, rule_code="RATE-001", severity="error", assignment=row, message="Over", key="r"
    )
    Return.objects.filter(pk=ret.pk).update(validated_revision=ret.revision)
    approver = side.users[Role.BOROUGH_APPROVER]
    services.sign_off_row_breach(
        ret=ret, by=approver, assignment=row, reason="Court work", signed_by_title="DCS", chief_executive="A. Chief"
    )
    row.refresh_from_db()
    assert row.breach_sign_off.hourly_rate == row.hourly_pay_rate
    with pytest.raises(services.ReturnError, match="already signed off"):
        services.sign_off_row_breach(
            ret=ret, by=approver, assignment=row, reason="Again", signed_by_title="DCS", chief_executive="A. Chief"
        )


def test_periods_are_extended_later_only(world, ret):
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    period = ret.period
    with pytest.raises(services.ReturnError, match="later, not earlier"):
        services.extend_period(
            period=period, by=analyst, deadline=period.deadline - timedelta(days=1), locks_on=period.locks_on
        )
    services.extend_period(
        period=period,
        by=analyst,
        deadline=period.deadline + timedelta(days=7),
        locks_on=period.locks_on + timedelta(days=7),
    )
    assert AuditEvent.objects.filter(action="period.extended").exists()
    assert period.label.startswith("2026-27 Q2") and date(2026, 7, 1) == period.starts_on


def test_a_rate_raised_after_its_sign_off_is_signed_off_again(world):
    side = world.own
    ret = draft_return(side)
    row = add_row(ret, side, hourly_pay_rate=Decimal("38.00"))
    approver = side.users[Role.BOROUGH_APPROVER]
    sign = {"reason": "Court work", "signed_by_title": "DCS", "chief_executive": "A. Chief"}
    services.sign_off_row_breach(ret=ret, by=approver, assignment=row, **sign)
    ret.refresh_from_db()
    services.save_assignment(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        values={**good_row(side, hourly_pay_rate=Decimal("39.50")), "breach_sign_off": row.breach_sign_off},
        assignment=row,
    )
    services.sign_off_row_breach(ret=ret, by=approver, assignment=row, **sign)
    row.refresh_from_db()
    assert row.breach_sign_off.hourly_rate == Decimal("39.50")


def test_a_unit_that_did_not_sign_the_pledge_is_listed_but_optional(world, client_for, mailoutbox):
    """City of London is not a signatory: its unit shows on the completeness page as optional, is never late
    and is not chased; a return submitted without a named submitter (imported history) shows no "by None"."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from returns.models import ReportingPeriod, ReportingUnit
    from returns.selectors import completeness_for
    from returns.tasks import remind_submitters_of_deadlines

    side = world.own
    ret = draft_return(side)
    services.ensure_reporting_units(region=side.region)
    optional = ReportingUnit.objects.get(boroughs=side.msp_borough)
    optional.boroughs.update(pledge_signatory=False)
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() - timedelta(days=1))
    period = ReportingPeriod.objects.get(pk=ret.period_id)
    statuses = {s.unit.pk: s for s in completeness_for(period, today=timezone.localdate())}
    assert statuses[optional.pk].expected is False and statuses[optional.pk].late is False
    assert statuses[ret.unit_id].expected and statuses[ret.unit_id].late
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED, submitted_at=timezone.now())
    page = client_for(side.users[Role.REGIONAL_ANALYST]).get(reverse("returns:completeness", args=[ret.period_id]))
    body = page.content.decode()
    assert "Optional: not a Pledge signatory" in body and "1 of the 1 expected returns submitted" in body
    assert "by None" not in body
    ReportingPeriod.objects.filter(pk=ret.period_id).update(deadline=timezone.localdate() + timedelta(days=2))
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.DRAFT)
    remind_submitters_of_deadlines()
    reminded = {address for m in mailoutbox for address in m.to}
    assert side.users[Role.MSP_USER].email not in reminded  # the optional unit's MSP is not chased
    assert side.users[Role.BOROUGH_SUBMITTER].email in reminded


def test_the_approver_sends_a_return_back_to_the_lead_with_a_comment(
    world, ret, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    side = world.own
    lead, approver = side.users[Role.BOROUGH_SUBMITTER], side.users[Role.BOROUGH_APPROVER]
    services.submit_return(ret=ret, by=lead)
    client = client_for(approver)
    assert "Send the return back to the workforce lead" in client.get(f"/returns/{ret.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/returns/{ret.pk}/return-to-lead/", {"comment": "Row 1's rate is wrong"})
    assert sent.status_code == 302
    ret.refresh_from_db()
    assert ret.status == Return.Status.RETURNED and ret.returned_comment == "Row 1's rate is wrong"
    assert {a for m in mailoutbox for a in m.to} == {lead.email}  # the approver who sent it is not told
    assert "Row 1's rate is wrong" in mailoutbox[0].body
    # The lead changes it and submits again; the lead cannot send back, nor can another borough's approver.
    with pytest.raises(services.ReturnError, match="Only an approver"):
        services.send_back_to_submitter(ret=ret, by=world.other.users[Role.BOROUGH_APPROVER], comment="No")
    services.submit_return(ret=checked(ret), by=lead)
    assert client_for(lead).post(f"/returns/{ret.pk}/return-to-lead/", {"comment": "x"}).status_code == 403
    with pytest.raises(services.ReturnError, match="Say what"):
        services.send_back_to_submitter(ret=ret, by=approver, comment=" ")


def test_the_breach_page_shows_the_cap_and_excess_and_records_when_they_agreed(world, client_for):
    from django.urls import reverse

    side = world.own
    ret = draft_return(side)
    row = add_row(ret, side, hourly_pay_rate="39.99", start_date=date(2026, 5, 4))  # social worker cap £36.40
    client = client_for(side.users[Role.BOROUGH_APPROVER])
    url = reverse("returns:row-breach", args=[ret.pk, row.pk])
    page = client.get(url).content.decode()
    assert "The cap on that date is £36.40" in page and "£3.59 an hour" in page
    base = {"reason": "Court work", "signed_by_title": "DCS", "chief_executive": "A. Chief"}
    future = (timezone.localdate() + timedelta(days=2)).strftime("%d/%m/%Y")
    refused = client.post(url, {**base, "signed_on": future})
    assert refused.status_code == 400 and "today or in the past" in refused.content.decode()
    done = client.post(url, {**base, "signed_on": "10/05/2026"}, follow=True)
    row.refresh_from_db()
    assert row.breach_sign_off.signed_on == date(2026, 5, 10)
    assert "after the assignment started on 4 May 2026" in done.content.decode()  # agreed after the start


def test_the_audit_log_keeps_old_and_new_values_of_row_changes_and_every_read(world, client_for):
    from django.urls import reverse

    side = world.own
    lead = side.users[Role.BOROUGH_SUBMITTER]
    ret = draft_return(side)
    row = add_row(ret, side)
    ret.refresh_from_db()
    services.save_assignment(
        ret=ret,
        by=lead,
        expected_revision=ret.revision,
        assignment=row,
        values=good_row(side, hourly_pay_rate=Decimal("36.00")),
    )
    changed = AuditEvent.objects.filter(action="return.row_changed", target_id=str(ret.pk)).get()
    assert changed.detail["changes"] == {"hourly_pay_rate": ["35.00", "36.00"]}
    added = AuditEvent.objects.get(action="return.row_added", target_id=str(ret.pk))
    assert added.detail["changes"]["registration_number"] == [None, "SW100200"]
    analyst = client_for(side.users[Role.REGIONAL_ANALYST])
    assert analyst.get(reverse("returns:detail", args=[ret.pk])).status_code == 200
    viewed = AuditEvent.objects.get(action="return.viewed", target_id=str(ret.pk))
    assert viewed.actor == side.users[Role.REGIONAL_ANALYST] and viewed.organisation == side.region.organisation
    ret.refresh_from_db()
    services.remove_assignment(ret=ret, by=lead, expected_revision=ret.revision, assignment=row)
    removed = AuditEvent.objects.get(action="return.row_removed", target_id=str(ret.pk))
    assert removed.detail["changes"]["hourly_pay_rate"] == ["36.00", None]


def test_a_locum_under_3_years_pqe_is_reported_with_the_dcs_and_chief_executives_agreement(world, client_for):
    from django.urls import reverse

    from returns.validation import run_validation

    side = world.own
    lead, approver = side.users[Role.BOROUGH_SUBMITTER], side.users[Role.BOROUGH_APPROVER]
    ret = draft_return(side)
    row = add_row(ret, side, pqe_years=Decimal("2.0"))

    def check() -> dict[str, list[Finding]]:
        ret.refresh_from_db()
        run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
        run_validation(run)
        ret.refresh_from_db()
        found: dict[str, list[Finding]] = {}
        for finding in run.findings.all():
            found.setdefault(finding.rule_code, []).append(finding)
        return found

    assert "PQE-001" in check()  # an error: it blocks submission
    url = reverse("returns:row-exception", args=[ret.pk, row.pk])
    assert client_for(lead).get(url).status_code == 403  # the approver records it, not the lead
    page = client_for(approver).get(reverse("returns:detail", args=[ret.pk])).content.decode()
    assert "Record the agreement to under 3 years" in page
    posted = client_for(approver).post(
        url, {"reason": "Specialist court work", "signed_by_title": "DCS", "chief_executive": "A. Chief"}
    )
    assert posted.status_code == 302
    found = check()
    assert "PQE-001" not in found and len(found["PQE-002"]) == 1  # reported, as a breach by agreement
    assert not any("Explain" in p for p in services.submission_problems(ret))  # the agreement explains it
    # The agreement is for the figure agreed: another figure is not covered.
    ret.refresh_from_db()
    services.save_assignment(
        ret=ret,
        by=lead,
        expected_revision=ret.revision,
        assignment=row,
        values=good_row(side, pqe_years=Decimal("1.0")),
    )
    assert "PQE-001" in check()
