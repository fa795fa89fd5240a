"""What changed since sign-off: rows added, ended, changed and removed, fields old → new, workforce and spend,
on the page, the accept and sign-off pages, the CSV and the API; and what must not be listed."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from returns import changes, services
from returns.models import Return, Snapshot, Transition

from .helpers import add_row, draft_return
from .test_workflow import checked


def _users(side):
    return (side.users[r] for r in (Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER, Role.REGIONAL_ANALYST))


def _signed_off(ret: Return, side) -> Return:
    lead, approver, _ = _users(side)
    services.submit_return(ret=checked(ret), by=lead)
    return services.sign_off_return(ret=ret, by=approver)


def _workforce(ret: Return, side, *, agency_fte: str, spend: str) -> None:
    ret.refresh_from_db()
    role_id = ret.workforce.first().role_id
    services.save_workforce(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        lines={role_id: {"agency_fte": Decimal(agency_fte), "agency_headcount": 4}},
        totals={"agency_spend_month_1": Decimal(spend), "project_teams": None},
    )


@pytest.fixture
def resubmitted(world):
    """Version 1 signed off with rows A, B, C and E; sent back by the analyst; then A's pay changed and its charge
    rate cleared, B ended, C removed, D added, E untouched, agency FTE and month 1 spend changed."""
    side = world.own
    lead, _, analyst = _users(side)
    ret = draft_return(side)
    rows = {
        name: add_row(ret, side, registration_number=number)
        for name, number in (("A", "SW100001"), ("B", "SW100002"), ("C", "SW100003"), ("E", "SW100005"))
    }
    _workforce(ret, side, agency_fte="10", spend="1000")
    _signed_off(ret, side)
    services.return_for_amendment(ret=ret, by=analyst, comment="Please update the rates")
    ret.refresh_from_db()
    a = rows["A"]
    values = {name: getattr(a, name) for name in Return.assignments.rel.related_model.INPUT_FIELDS}
    services.save_assignment(
        ret=ret,
        by=lead,
        expected_revision=ret.revision,
        values={**values, "hourly_pay_rate": Decimal("36.50"), "hourly_charge_rate": None},
        assignment=a,
    )
    ret.refresh_from_db()
    services.end_assignment(
        ret=ret, by=lead, expected_revision=ret.revision, assignment=rows["B"], end_date=date(2026, 9, 30)
    )
    ret.refresh_from_db()
    services.remove_assignment(ret=ret, by=lead, expected_revision=ret.revision, assignment=rows["C"])
    add_row(ret, side, registration_number="SW100004", agency_name="Newcomers Ltd")
    _workforce(ret, side, agency_fte="12.5", spend="1250.50")
    ret.refresh_from_db()
    return ret


def test_a_resubmission_lists_each_kind_of_change_and_nothing_unchanged(world, resubmitted):
    found = changes.changes_since_sign_off(resubmitted)
    assert found.base.number == 1
    assert found.counts == {"added": 1, "ended": 1, "changed": 1, "removed": 1, "unchanged": 1}
    by_number = {row.registration_number: row for row in found.rows}
    assert set(by_number) == {"SW100001", "SW100002", "SW100003", "SW100004"}  # E (SW100005) is unchanged
    assert [row.kind for row in found.rows] == ["added", "ended", "changed", "removed"]
    a = by_number["SW100001"]
    assert [(f.label, f.old, f.new) for f in a.fields] == [
        ("Hourly pay rate", "£35.00", "£36.50"),
        ("Hourly charge rate", "£42.00", "blank"),
    ]
    b = by_number["SW100002"]
    assert [(f.label, f.old, f.new) for f in b.fields] == [("End date", "blank", "30 September 2026")]
    added = by_number["SW100004"]
    assert ("Agency", "blank", "Newcomers Ltd") in [(f.label, f.old, f.new) for f in added.fields]
    assert ("Role", "blank", "Social worker") in [(f.label, f.old, f.new) for f in added.fields]
    assert by_number["SW100003"].fields == []
    figures = {(f.label, f.old, f.new) for f in found.figures}
    assert figures == {
        ("Agency FTE", "10.00", "12.50"),
        ("Agency spend, month 1", "£1,000.00", "£1,250.50"),
    }  # agency headcount (4 both times) and blank project teams did not change
    assert "1 row added, 1 row ended, 1 row changed, 1 row removed" in found.summary()


def test_a_first_version_has_no_earlier_signed_off_version(world):
    side = world.own
    lead, approver, _ = _users(side)
    ret = draft_return(side)
    add_row(ret, side)
    services.submit_return(ret=checked(ret), by=lead)
    found = changes.changes_since_sign_off(ret)
    assert found.base is None and found.rows == [] and "no earlier signed-off version" in found.summary()
    ret = services.sign_off_return(ret=ret, by=approver)
    # Once signed off, the return as it is now is version 1 itself: still nothing earlier to compare with.
    assert changes.changes_since_sign_off(ret).base is None
    assert Snapshot.objects.get(ret=ret).signed_off_at is not None


def test_a_version_sent_back_before_sign_off_is_not_a_base(world):
    side = world.own
    lead, approver, _ = _users(side)
    ret = draft_return(side)
    add_row(ret, side)
    services.submit_return(ret=checked(ret), by=lead)
    services.send_back_to_submitter(ret=ret, by=approver, comment="Wrong quarter")
    add_row(ret, side, registration_number="SW100009")
    services.submit_return(ret=checked(ret), by=lead)
    assert changes.changes_since_sign_off(ret).base is None
    assert changes.changes_since_sign_off(ret, version=2).base is None


def test_a_version_is_compared_with_the_signed_off_version_before_it(world, resubmitted):
    side = world.own
    lead, approver, _ = _users(side)
    services.submit_return(ret=checked(resubmitted), by=lead)
    # While version 2 waits for sign-off, "now" is version 2, compared with version 1.
    now = changes.changes_since_sign_off(resubmitted)
    assert now.base.number == 1 and now.counts["added"] == 1
    resubmitted = services.sign_off_return(ret=resubmitted, by=approver)
    assert changes.changes_since_sign_off(resubmitted).base.number == 1  # still version 1: 2 is "now"
    version_2 = changes.changes_since_sign_off(resubmitted, version=2)
    assert version_2.compared == "version 2" and version_2.counts == now.counts
    assert changes.changes_since_sign_off(resubmitted, version=1).base is None
    with pytest.raises(Snapshot.DoesNotExist):
        changes.changes_since_sign_off(resubmitted, version=3)


def test_a_breach_signed_off_after_submission_is_part_of_what_was_signed_off(world):
    side = world.own
    lead, approver, analyst = _users(side)
    ret = draft_return(side)
    row = add_row(ret, side, hourly_pay_rate=Decimal("40.00"))  # over the £36.40 cap
    services.submit_return(ret=checked(ret), by=lead)
    services.sign_off_row_breach(
        ret=ret,
        by=approver,
        assignment=row,
        reason="Only applicant",
        signed_by_title="DCS",
        chief_executive="A. Chief",
        signed_on=date(2026, 5, 1),
    )
    services.sign_off_return(ret=ret, by=approver)
    snapshot = Snapshot.objects.get(ret=ret)
    assert snapshot.data["assignments"][0]["breach_sign_off_id"] is None  # as submitted
    assert snapshot.signed_off_data["assignments"][0]["breach_sign_off_id"] is not None  # as signed off
    services.return_for_amendment(ret=ret, by=analyst, comment="Look again")
    found = changes.changes_since_sign_off(ret)
    assert found.base == snapshot and not found.anything and found.counts["unchanged"] == 1


def test_the_listed_rows_are_capped_and_counted_in_full(world, resubmitted):
    found = changes.changes_since_sign_off(resubmitted, limit=2)
    assert len(found.rows) == 2 and found.rows_changed == 4 and found.cut
    assert "first 2 of 4" in changes.rows_table(found).note


def test_rows_without_a_registration_number_are_matched_by_row_number(world):
    side = world.own
    ret = draft_return(side)
    add_row(ret, side, registration_number="", pqe_years=Decimal("4.0"))
    _signed_off(ret, side)
    services.return_for_amendment(ret=ret, by=side.users[Role.REGIONAL_ANALYST], comment="PQE?")
    ret.refresh_from_db()
    row = ret.assignments.get()
    values = {name: getattr(row, name) for name in row.INPUT_FIELDS}
    services.save_assignment(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        values={**values, "pqe_years": Decimal("4.5")},
        assignment=row,
    )
    found = changes.changes_since_sign_off(ret)
    assert found.counts["changed"] == 1 and found.counts["added"] == 0
    assert [(f.old, f.new) for f in found.rows[0].fields] == [("4.0", "4.5")]


def test_the_query_count_does_not_grow_with_the_rows(
    world, resubmitted, django_assert_num_queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as few:
        changes.changes_since_sign_off(resubmitted)
    for number in range(10):
        add_row(resubmitted, world.own, registration_number=f"SW2000{number:02}")
    with django_assert_num_queries(len(few.captured_queries)):
        changes.changes_since_sign_off(resubmitted)


def test_old_versions_are_marked_signed_off_by_the_migration(world):
    side = world.own
    lead, approver, _ = _users(side)
    ret = draft_return(side)
    add_row(ret, side)
    _signed_off(ret, side)
    Snapshot.objects.filter(ret=ret).update(signed_off_at=None, signed_off_by=None)  # as kept before it
    migration = importlib.import_module("returns.migrations.0006_snapshot_signed_off")
    migration.mark_signed_off_versions(apps, None)
    snapshot = Snapshot.objects.get(ret=ret)
    step = Transition.objects.get(ret=ret, to_status="signed_off")
    assert (snapshot.signed_off_at, snapshot.signed_off_by) == (step.at, approver)
    assert snapshot.signed_off_data is None and snapshot.content_signed_off == snapshot.data


# --- Pages, CSV and API ---------------------------------------------------------------------------------


def test_the_approver_and_the_analyst_see_the_summary_before_their_step(world, resubmitted, client_for):
    side = world.own
    lead, approver, analyst = _users(side)
    services.submit_return(ret=checked(resubmitted), by=lead)
    page = client_for(approver).get(reverse("returns:workflow", args=[resubmitted.pk, "sign-off"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Changes since sign-off" in text and "1 row added, 1 row ended" in text
    assert reverse("returns:changes", args=[resubmitted.pk]) in text
    services.sign_off_return(ret=resubmitted, by=approver)
    page = client_for(analyst).get(reverse("returns:workflow", args=[resubmitted.pk, "accept"]))
    assert "1 row removed, 2 workforce or spend figures changed" in page.content.decode()
    # Other steps say nothing about it.
    page = client_for(analyst).get(reverse("returns:workflow", args=[resubmitted.pk, "send-back"]))
    assert "Changes since sign-off" not in page.content.decode()


def test_a_first_version_says_so_on_the_sign_off_page(world, client_for):
    side = world.own
    lead, approver, _ = _users(side)
    ret = draft_return(side)
    add_row(ret, side)
    services.submit_return(ret=checked(ret), by=lead)
    page = client_for(approver).get(reverse("returns:workflow", args=[ret.pk, "sign-off"]))
    assert "no earlier signed-off version" in page.content.decode()


def test_the_changes_page_and_csv_show_old_and_new_values_and_are_audited(world, resubmitted, client_for):
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    page = client_for(analyst).get(reverse("returns:changes", args=[resubmitted.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("Hourly pay rate", "£35.00", "£36.50", "blank", "SW100004", "Agency FTE", "12.50"):
        assert shown in text
    assert "SW100005" not in text  # unchanged
    csv = client_for(analyst).get(reverse("returns:changes-csv", args=[resubmitted.pk]))
    assert csv.status_code == 200 and csv["Content-Disposition"].startswith("attachment")
    body = csv.content.decode("utf-8-sig")
    assert body.splitlines()[0] == "Change,Row,Registration number,Start date,Field,Before,After"
    assert "Changed,1,SW100001,4 May 2026,Hourly pay rate,£35.00,£36.50" in body
    assert "SW100005" not in body
    actions = set(AuditEvent.objects.filter(target_id=str(resubmitted.pk)).values_list("action", flat=True))
    assert {"return.changes_viewed", "return.changes_downloaded"} <= actions


@pytest.mark.parametrize("version", ["abc", "99", "-1", "1" * 12])
def test_a_forged_version_is_not_found(world, resubmitted, client_for, version):
    client = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    assert client.get(reverse("returns:changes", args=[resubmitted.pk]), {"version": version}).status_code == 404
    api = client.get(reverse("api-return-changes", args=[resubmitted.pk]), {"version": version})
    assert api.status_code == (404 if version == "99" else 400)


def test_the_api_gives_the_same_changes_read_only(world, resubmitted, client_for):
    client = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    url = reverse("api-return-changes", args=[resubmitted.pk])
    data = client.get(url).json()
    assert data["base_version"] == 1 and data["counts"]["removed"] == 1 and data["rows_changed"] == 4
    assert data["rows"][2]["fields"][0] == {"label": "Hourly pay rate", "old": "£35.00", "new": "£36.50"}
    assert client.post(url, {}).status_code == 405
    other = client_for(world.other.users[Role.BOROUGH_SUBMITTER])
    assert other.get(url).status_code == 404
