"""Compliance packs: the workbook's figures are the dashboards' figures, the PDF has its sections and pages,
formula-like text stays text, a crashed build leaves nothing behind and a retry builds it, unchanged data
reuses the pack, downloads are audited and scoped, and the steering group is told."""

import hashlib
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from dashboards import figures
from packs import excel as pack_excel
from packs import services as pack_services
from packs.models import CompliancePack
from packs.tasks import build_compliance_pack
from pledge_portal.accounts.roles import Role
from pledge_portal.core.excel import MONEY
from pledge_portal.jobs.models import TaskRun
from returns import services
from returns.models import Return
from tests.dashboards.dashboard_data import Q2, unit
from tests.packs.pack_data import build, stored_files, table, workbook

SECTIONS = [
    "Key messages",
    "Summary",
    "Borough scorecards",
    "Agency scorecards",
    "Breach register",
    "Cool-off register",
    "Method note",
]


@pytest.fixture(autouse=True)
def _media(private_media):
    return private_media


def test_the_workbook_holds_the_dashboards_figures(data, django_capture_on_commit_callbacks):
    pack, reused = build(data, django_capture_on_commit_callbacks)
    assert pack.status == CompliancePack.Status.READY and not reused
    wb = workbook(pack)
    assert wb.sheetnames[0] == "README"
    assert {"Summary", "Summary compliance", "Borough scorecards", "Agency scorecards"} <= set(wb.sheetnames)
    assert {"Breach register", "Cool-off register"} <= set(wb.sheetnames)

    header, rows = table(wb["Borough scorecards"])
    cards = {c.borough: c for c in figures.borough_scorecards(data.period)}
    assert len(rows) == len(cards)
    for row in rows:
        line = dict(zip(header, row, strict=True))
        card = cards[line["Borough"]]
        assert (line["Rows"], line["Over the cap"], line["Signed off"], line["Not signed off"]) == (
            card.rows,
            card.breaches,
            card.signed_off,
            card.without_sign_off,
        )
        assert (line["Cool-off flags"], line["PQE under 3 years"]) == (card.cool_off, card.low_pqe)
        share = line["Agency share"]
        assert (share is None and card.share is None) or Decimal(str(share)) * 100 == card.share
    own = dict(zip(header, next(r for r in rows if r[0] == data.borough.name), strict=True))
    assert (own["Rows"], own["Over the cap"], own["Signed off"], own["Cool-off flags"]) == (5, 3, 1, 2)

    ws = wb["Summary"]
    header, rows = table(ws)
    assert [r[0] for r in rows] == ["2025-26 Q2", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1", "2026-27 Q2"]
    share = figures.agency_share_over_time(figures.Scope(Q2, Q2, region=data.region))[0]
    assert Decimal(str(rows[-1][3])).quantize(Decimal("0.001")) == share.share / 100
    assert Decimal(str(rows[-1][4])) == Decimal("3000.75")  # spend: both months reported
    first_data = int(ws.auto_filter.ref.split(":")[0][1:]) + 1
    assert ws.freeze_panes == f"A{first_data}"
    assert ws.cell(first_data + 4, 4).number_format == "0.0%"
    assert ws.cell(first_data + 4, 5).number_format == MONEY

    header, rows = table(wb["Breach register"])
    register = figures.breach_register(figures.Scope(Q2, Q2, region=data.region))
    assert len(rows) == len(register) == 3
    assert [Decimal(str(r[header.index("Hourly pay")])) for r in rows] == [e.hourly_pay_rate for e in register]
    signed = next(r for r in rows if r[header.index("Agreed on")] is not None)
    assert (signed[header.index("Job title")], signed[header.index("Chief Executive")]) == ("Director", "A Chief")
    assert signed[header.index("Reason")] == "Hard to fill"
    assert signed[header.index("Rule broken")] == "RATE-001 Pay above the cap"
    header, rows = table(wb["Cool-off register"])
    assert sorted(r[header.index("Check")].split()[0] for r in rows) == ["COOL-001", "COOL-002"]
    assert {r[header.index("Borough's explanation")] for r in rows} == {"No explanation given"}

    header, rows = table(wb["Agency scorecards"])
    ranked = figures.agencies_ranked(figures.Scope(Q2, Q2, region=data.region))
    assert [(r[1], r[2]) for r in rows] == [(a.assignments, a.breaches) for a in ranked]


def test_formula_like_text_is_neutralised(data, django_capture_on_commit_callbacks):
    Return.objects.filter(pk=data.built.ret.pk).update(revision=7)  # any change: a new pack
    data.built.rows[1].agency = None
    data.built.rows[1].agency_name = "@SUM(1+1)"
    data.built.rows[1].save()
    pack, _ = build(data, django_capture_on_commit_callbacks)
    wb = workbook(pack)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert '\'=HYPERLINK("http://evil.test","click")' in texts
    assert "'@SUM(1+1)" in texts
    assert not [t for t in texts if t.startswith(("=", "+", "@")) or (t.startswith("-") and len(t) > 1)]


def test_the_pdf_has_every_section_numbered_pages_and_its_checksum(data, django_capture_on_commit_callbacks):
    pack, _ = build(data, django_capture_on_commit_callbacks)
    with pack.pdf.open("rb") as f:
        pdf = f.read()
    assert hashlib.sha256(pdf).hexdigest() == pack.pdf_sha256 and len(pdf) == pack.pdf_size
    with pack.xlsx.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == pack.xlsx_sha256
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    text = text.decode()
    pages = text.split("\f")[:-1]
    assert len(pages) == pack.pages >= 8  # cover, contents, then a page or more per section
    assert "Contents" in pages[1]
    for title in SECTIONS:
        assert title in pages[1], title
        assert any(page.lstrip().splitlines()[1:2] and title in page for page in pages[2:]), title
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number} of {pack.pages}" in page
        assert "Generated" in page and "2026-27 Q2" in page
    assert "=HYPERLINK(" in text  # the PDF shows names as they are: nothing runs in a PDF
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Tagged:          yes" in info
    assert f"Title:           {data.region.name} compliance pack, 2026-27 Q2" in info


def test_an_unchanged_period_reuses_its_pack_and_a_change_makes_a_new_version(data, django_capture_on_commit_callbacks):
    first, _ = build(data, django_capture_on_commit_callbacks)
    again, reused = build(data, django_capture_on_commit_callbacks)
    assert reused and again.pk == first.pk
    assert CompliancePack.objects.count() == 1 and TaskRun.objects.filter(kind="returns.compliance_pack").count() == 1

    services.reopen_return(ret=data.built.ret, by=data.users[Role.REGIONAL_ANALYST], comment="A rate was wrong")
    second, reused = build(data, django_capture_on_commit_callbacks)
    assert not reused and second.version == 2 and second.status == CompliancePack.Status.READY
    assert second.data_version != first.data_version
    header, rows = table(workbook(second)["Borough scorecards"])
    own = dict(zip(header, next(r for r in rows if r[0] == data.borough.name), strict=True))
    assert own["Rows"] == 0 and own["Return"] == "Returned for amendment"


def test_a_double_request_starts_one_build(data):
    analyst = data.users[Role.REGIONAL_ANALYST]
    first, reused_first = pack_services.request_pack(period=data.period, by=analyst)
    second, reused_second = pack_services.request_pack(period=data.period, by=analyst)
    assert (reused_first, reused_second) == (False, True)
    assert first.pk == second.pk and first.status == CompliancePack.Status.BUILDING
    assert TaskRun.objects.filter(kind="returns.compliance_pack").count() == 1


def test_a_crash_mid_build_leaves_no_pack_or_file_and_a_new_request_builds_it(
    data, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    real_save = default_storage.save

    def save_then_crash(name, content, **kwargs):
        if name.endswith(".xlsx"):
            raise RuntimeError("disk full")
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(pack_services.default_storage, "save", save_then_crash)
    with pytest.raises(RuntimeError):
        build(data, django_capture_on_commit_callbacks)
    pack = CompliancePack.objects.get()
    assert pack.status == CompliancePack.Status.FAILED and "disk full" in pack.error
    assert not pack.pdf and not pack.xlsx
    assert stored_files(private_media) == []  # the PDF saved before the crash was removed
    assert pack.task_run.status == TaskRun.Status.FAILED

    monkeypatch.undo()
    retried, reused = build(data, django_capture_on_commit_callbacks)
    assert not reused and retried.version == 2 and retried.status == CompliancePack.Status.READY
    assert sorted(p.suffix for p in stored_files(private_media)) == [".pdf", ".xlsx"]


def test_a_temporary_error_is_retried_and_the_build_finishes(
    data, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    calls = []
    real = pack_excel.pack_workbook

    def flaky(pack):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(pack)

    monkeypatch.setattr(pack_excel, "pack_workbook", flaky)
    # In process (no broker) Celery hands the retry back instead of running it; a worker would take the
    # retry message from the queue, which is what the second call does.
    with pytest.raises(Retry):
        build(data, django_capture_on_commit_callbacks)
    pack = CompliancePack.objects.get()
    assert pack.status == CompliancePack.Status.BUILDING and pack.task_run.status == TaskRun.Status.QUEUED
    assert stored_files(private_media) == []
    with django_capture_on_commit_callbacks(execute=True):
        build_compliance_pack.apply(args=[str(pack.task_run_id)])
    pack.refresh_from_db()
    assert pack.status == CompliancePack.Status.READY and len(calls) == 2
    assert pack.task_run.status == TaskRun.Status.SUCCEEDED and pack.task_run.attempts == 2


def test_a_build_whose_retry_never_ran_is_given_up_and_asked_for_again(
    data, django_capture_on_commit_callbacks, monkeypatch, private_media
):
    real = pack_excel.pack_workbook
    monkeypatch.setattr(pack_excel, "pack_workbook", lambda pack: (_ for _ in ()).throw(OperationalError("locked")))
    with pytest.raises(Retry):
        build(data, django_capture_on_commit_callbacks)
    stuck = CompliancePack.objects.get()
    monkeypatch.setattr(pack_excel, "pack_workbook", real)
    # Asked again at once: the retry may still come, so the same pack is offered.
    again, reused = build(data, django_capture_on_commit_callbacks)
    assert reused and again.pk == stuck.pk
    # Still queued minutes later, in process: no retry is coming, so the pack is failed and built anew.
    TaskRun.objects.filter(pk=stuck.task_run_id).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh, reused = build(data, django_capture_on_commit_callbacks)
    stuck.refresh_from_db()
    assert not reused and fresh.version == 2 and fresh.status == CompliancePack.Status.READY
    assert stuck.status == CompliancePack.Status.FAILED


def test_only_the_regions_analysts_ask_for_packs(data, world):
    for refused in (Role.STEERING_MEMBER, Role.BOROUGH_APPROVER):
        with pytest.raises(services.ReturnError):
            pack_services.request_pack(period=data.period, by=data.users[refused])
    with pytest.raises(services.ReturnError):
        pack_services.request_pack(period=data.period, by=world.other.users[Role.REGIONAL_ANALYST])
    with pytest.raises(pack_services.PackError):
        pack_services.request_pack(
            period=data.period, by=data.users[Role.REGIONAL_ANALYST], borough=world.other.borough
        )


def test_steering_members_are_emailed_when_the_pack_is_ready(data, django_capture_on_commit_callbacks, mailoutbox):
    build(data, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert set(mail.to) == {data.users[Role.STEERING_MEMBER].email, data.users[Role.REGIONAL_ANALYST].email}
    assert "is ready" in mail.subject and reverse("packs:period", args=[data.period.pk]) in mail.body


def test_locking_a_period_asks_for_its_regional_pack(data, django_capture_on_commit_callbacks):
    analyst = data.users[Role.REGIONAL_ANALYST]
    with django_capture_on_commit_callbacks(execute=True):
        services.lock_period(period=data.period, by=analyst)
    pack = CompliancePack.objects.get()
    assert pack.is_regional and pack.requested_by == analyst and pack.status == CompliancePack.Status.READY


def test_the_schedule_asks_once_for_periods_that_have_just_locked(data, django_capture_on_commit_callbacks):
    today = data.period.locks_on + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert pack_services.packs_after_lock(today=today) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert pack_services.packs_after_lock(today=today) == 0
    pack = CompliancePack.objects.get()
    assert pack.requested_by is None and pack.status == CompliancePack.Status.READY
    assert pack_services.packs_after_lock(today=data.period.locks_on + timedelta(days=30)) == 0


def test_a_borough_pack_shows_other_boroughs_only_as_medians(data, django_capture_on_commit_callbacks):
    pack, _ = build(data, django_capture_on_commit_callbacks, borough=data.borough)
    assert pack.status == CompliancePack.Status.READY and pack.borough == data.borough
    wb = workbook(pack)
    texts = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert data.msp_borough.name not in " ".join(texts)
    header, rows = table(wb["Against the region"])
    assert header == ["Measure", data.borough.name, "Sub-region median", "Region median"]
    assert {r[3] for r in rows} == {"fewer than 5 boroughs"}
    header, rows = table(wb["Scorecard"])
    assert [r[0] for r in rows] == [data.borough.name]
    assert unit(data.borough).name  # the borough reports through its own unit
