"""Compliance pack pages: building from the period page, progress while it builds, downloads audited and
named, and each borough seeing only its own pack."""

import hashlib

import pytest
from django.urls import reverse

from packs import services as pack_services
from packs import views as pack_views
from packs.models import CompliancePack
from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from tests.packs.pack_data import build


@pytest.fixture(autouse=True)
def _media(private_media):
    return private_media


def test_analyst_builds_a_pack_from_the_period_page(data, client_for, django_capture_on_commit_callbacks):
    client = client_for(data.users[Role.REGIONAL_ANALYST])
    page = client.get(reverse("packs:period", args=[data.period.pk]))
    assert page.status_code == 200 and b"Build the pack" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("packs:build", args=[data.period.pk]), {"borough": ""})
    assert response.status_code == 302 and response["Location"] == reverse("packs:period", args=[data.period.pk])
    pack = CompliancePack.objects.get()
    body = client.get(response["Location"]).content.decode()
    assert "Building version 1" in body and pack.pdf_sha256 in body and "Ready" in body
    again = client.post(reverse("packs:build", args=[data.period.pk]), {"borough": ""}, follow=True)
    assert "Nothing has changed since version 1 was built" in again.content.decode()

    refused = client.post(reverse("packs:build", args=[data.period.pk]), {"borough": "999999"})
    assert refused.status_code == 400 and b"govuk-error-summary" in refused.content


def test_a_building_pack_shows_progress_and_refreshes(data, client_for):
    pack, _ = pack_services.request_pack(period=data.period, by=data.users[Role.REGIONAL_ANALYST])
    pack.task_run.report_progress(40, "Borough scorecards")
    page = client_for(data.users[Role.STEERING_MEMBER]).get(reverse("packs:period", args=[data.period.pk]))
    body = page.content.decode()
    assert "http-equiv" not in body and "data-poll-url" in body and "40% done: Borough scorecards" in body
    assert "Build the pack" not in body  # steering members read; analysts build
    assert (
        client_for(data.users[Role.STEERING_MEMBER]).get(reverse("packs:download", args=[pack.pk, "pdf"])).status_code
        == 404
    )  # nothing to download until it is ready


def test_every_download_is_audited_and_named(data, client_for, django_capture_on_commit_callbacks):
    pack, _ = build(data, django_capture_on_commit_callbacks)
    client = client_for(data.users[Role.STEERING_MEMBER])
    for kind, content_type in pack_views.CONTENT_TYPES.items():
        response = client.get(reverse("packs:download", args=[pack.pk, kind]))
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert f'filename="compliance-pack-own-region-2026-27-Q2-v1.{kind}"' in response["Content-Disposition"]
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == getattr(pack, f"{kind}_sha256")
    events = AuditEvent.objects.filter(action="pack.downloaded").order_by("pk")
    assert [(e.actor_id, e.detail["file"], e.detail["sha256"]) for e in events] == [
        (data.users[Role.STEERING_MEMBER].pk, "pdf", pack.pdf_sha256),
        (data.users[Role.STEERING_MEMBER].pk, "xlsx", pack.xlsx_sha256),
    ]
    assert client.get(reverse("packs:download", args=[pack.pk, "docx"])).status_code == 404


def test_a_borough_downloads_its_own_pack_only(data, world, client_for, django_capture_on_commit_callbacks):
    regional, _ = build(data, django_capture_on_commit_callbacks)
    own, _ = build(data, django_capture_on_commit_callbacks, borough=data.borough)
    other, _ = build(data, django_capture_on_commit_callbacks, borough=data.msp_borough)
    approver = client_for(data.users[Role.BOROUGH_APPROVER])
    assert approver.get(reverse("packs:download", args=[own.pk, "pdf"])).status_code == 200
    assert approver.get(reverse("packs:download", args=[regional.pk, "pdf"])).status_code == 404
    assert approver.get(reverse("packs:download", args=[other.pk, "xlsx"])).status_code == 404
    page = approver.get(reverse("packs:period", args=[data.period.pk])).content.decode()
    assert f"{data.borough.name}, version 1" in page and data.msp_borough.name not in page
    outsider = client_for(world.other.users[Role.STEERING_MEMBER])
    assert outsider.get(reverse("packs:download", args=[regional.pk, "pdf"])).status_code == 404
    assert outsider.get(reverse("packs:period", args=[data.period.pk])).status_code == 404


def test_the_packs_page_lists_periods_newest_first_and_counts_ready_packs_once(
    data, client_for, django_capture_on_commit_callbacks
):
    from tests.dashboards.dashboard_data import Q1, period

    period(data, Q1)  # an older period of the region
    build(data, django_capture_on_commit_callbacks)
    body = client_for(data.users[Role.STEERING_MEMBER]).get(reverse("packs:index")).content.decode()
    assert body.index("2026-27 Q2") < body.index("2026-27 Q1")
    row = body[body.index("2026-27 Q2") :].split("</tr>")[0]
    assert row.rstrip().endswith('govuk-table__cell--numeric">1</td>')


def test_with_no_pack_the_period_page_says_when_it_will_be_built_and_by_whom(data, client_for):
    from datetime import timedelta

    from django.utils import timezone

    client = client_for(data.users[Role.STEERING_MEMBER])
    locked = client.get(reverse("packs:period", args=[data.period.pk])).content.decode()
    assert "The period has locked, so the portal asks for it within a day" in locked
    data.period.locks_on = timezone.localdate() + timedelta(days=5)
    data.period.save(update_fields=["locks_on"])
    open_ = client.get(reverse("packs:period", args=[data.period.pk])).content.decode()
    assert f"The portal builds it when the period locks on {data.period.locks_on:%-d %B %Y}" in open_
    assert "analysts can build a provisional one before then" in open_
