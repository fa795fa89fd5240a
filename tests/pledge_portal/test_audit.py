"""The audit log: written by services, read by analysts and admins, never changed."""

import csv
import io

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit import services as audit
from pledge_portal.audit.models import AuditEvent, AuditLogIsAppendOnly
from pledge_portal.jobs.models import TaskRun


def test_events_cannot_be_changed_or_deleted_through_the_model(world):
    event = audit.record(world.own.users[Role.AGENCY_ADMIN], "test.thing", world.own.agency)
    event.action = "test.other"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET action = 'forged'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_to_rewrite_the_log(world, statement):
    audit.record(world.own.users[Role.AGENCY_ADMIN], "test.thing", world.own.agency)
    refused = pytest.raises(IntegrityError)
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.thing").count() == 1


def test_an_event_records_who_what_which_and_from_where(world):
    actor = world.own.users[Role.BOROUGH_APPROVER]
    event = audit.record(actor, "test.signed_off", world.own.borough, detail={"quarter": "2026-Q3"})
    assert (event.actor, event.actor_label, event.organisation) == (actor, actor.email, world.own.borough.organisation)
    assert (event.target_label, event.target_id) == (str(world.own.borough), str(world.own.borough.pk))


def test_analysts_read_their_region_only(world, client_for):
    audit.record(world.own.users[Role.BOROUGH_SUBMITTER], "test.own_region", world.own.borough)
    audit.record(world.other.users[Role.BOROUGH_SUBMITTER], "test.other_region", world.other.borough)
    page = client_for(world.own.users[Role.REGIONAL_ANALYST]).get(reverse("audit:log")).content.decode()
    assert "test.own_region" in page and "test.other_region" not in page
    admin_page = client_for(world.platform_admin).get(reverse("audit:log")).content.decode()
    assert "test.own_region" in admin_page and "test.other_region" in admin_page


def test_filters_narrow_the_log_and_bad_dates_are_explained(world, client_for):
    actor = world.own.users[Role.BOROUGH_SUBMITTER]
    audit.record(actor, "member.invited", world.own.borough)
    audit.record(actor, "return.submitted", world.own.borough)
    client = client_for(world.own.users[Role.REGIONAL_ANALYST])
    page = client.get(reverse("audit:log"), {"action": "member."})
    assert [e.action for e in page.context["events"]] == ["member.invited"]
    bad = client.get(reverse("audit:log"), {"since": "2026-10-02", "until": "2026-10-01"})
    assert "The end date must be the same as or after the start date" in bad.content.decode()


def test_export_writes_a_csv_with_formulas_neutralised_and_the_download_is_audited(
    world, client_for, django_capture_on_commit_callbacks
):
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    audit.record(
        world.own.users[Role.BOROUGH_SUBMITTER], "test.export", world.own.borough, detail={"note": "=HYPERLINK(1)"}
    )
    client = client_for(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:log"), {"action": "test."})
    run = TaskRun.objects.get(kind="audit.export")
    assert response["Location"] == reverse("jobs:detail", args=[run.pk])
    assert run.status == TaskRun.Status.SUCCEEDED and run.result == {"rows": 1}
    download = client.get(reverse("jobs:download", args=[run.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "When (UTC)" and rows[1][3] == "test.export"
    assert AuditEvent.objects.filter(action="job.downloaded", actor=analyst).exists()
    # Another region's analyst cannot fetch the file.
    assert (
        client_for(world.other.users[Role.REGIONAL_ANALYST]).get(reverse("jobs:download", args=[run.pk])).status_code
        == 404
    )
