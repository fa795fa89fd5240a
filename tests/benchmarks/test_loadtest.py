"""The load test's journeys (benchmarks/loadtest) run once each against the portal, so the harness cannot rot
unnoticed when a page changes: a borough lead signs in, uploads a workbook, has it checked and sees the
findings; readers open each kind of dashboard; an agency checks a rate by the API and the page. Also: a job
page is polled as portal.js polls it, the ceiling search's verdicts, the locustfile still loads under the
pinned locust, and the two gunicorn pools' settings. The load itself is never run here (`make bench-load`)."""

import json
import os
import random
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from benchmarks.loadtest import report, scenarios
from pledge_portal.accounts.roles import Role
from returns.models import Finding
from returns.spreadsheets import template_workbook
from tests.dashboards.dashboard_data import Row, accepted_return, region_with_card
from tests.factories import PASSWORD
from tests.returns.helpers import add_row, draft_return

ROOT = Path(__file__).resolve().parents[2]


class ClientHttp:
    """``scenarios.Http`` over Django's test client. Each request ends as a real one does, by running what
    waited for its transaction to commit (the check's task, in-process here); every request is recorded."""

    def __init__(self, address: str):
        self.client = Client()
        self.address = address
        self.sent: list[tuple[str, str, int]] = []

    def request(self, method, path, *, name, data=None, headers=None):
        headers = dict(headers or {})
        content_type = headers.pop("Content-Type", "application/octet-stream")
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = self.client.generic(
                method, path, data or b"", content_type, headers={**headers, "X-Forwarded-For": self.address}
            )
        self.sent.append((method, name, response.status_code))
        return scenarios.Reply(response.status_code, response.content.decode(), response.headers.get("Location", ""))


def _no_errors(http: ClientHttp) -> None:
    assert http.sent and all(status < 400 for _, _, status in http.sent), http.sent


@pytest.fixture
def deadline_day(world, settings):
    """The own side's region with a card, two accepted quarters (dashboards have figures) and a draft for
    the open quarter, as ``make bench-load`` sets up at national scale; served as behind one proxy."""
    settings.DEFAULT_REGION_CODE = world.own.region.code
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    side = region_with_card(world.own)
    for quarter in (date(2026, 1, 1), date(2026, 4, 1)):
        accepted_return(side, side.borough, quarter, [Row("30.00"), Row("40.00")])
    ret = draft_return(side, with_card=False)
    add_row(ret, side, registration_number="SW100201")
    add_row(ret, side, registration_number="SW100202", notice_period_weeks=8)  # a query to explain
    workbook = template_workbook(ret)
    side.rows_in_workbook = ret.assignments.count()  # these two and those carried from the last quarter
    ret.assignments.all().delete()
    return side, ret, workbook


def test_a_borough_lead_signs_in_uploads_and_sees_the_findings(deadline_day):
    side, ret, workbook = deadline_day
    http = ClientHttp("2001:db8::1")
    browser = scenarios.Browser(http, sleep=lambda seconds: None)
    scenarios.sign_in(browser, email=side.users[Role.BOROUGH_SUBMITTER].email, password=PASSWORD)
    seconds, (errors, queries) = scenarios.upload_and_wait_for_findings(browser, return_id=ret.pk, workbook=workbook)
    _no_errors(http)
    assert seconds >= 0
    assert ret.assignments.count() == side.rows_in_workbook >= 2
    findings = Finding.objects.filter(ret=ret)
    assert (errors, queries) == (
        findings.filter(severity=Finding.Severity.ERROR).count(),
        findings.filter(severity=Finding.Severity.QUERY).count(),
    )
    assert queries >= 1
    names = [name for _, name, _ in http.sent]
    # The upload's job checks the return itself: its finished page links to the findings, with no check to press.
    assert names[:2] == ["sign in page", "sign in"] and "upload" in names and "findings page" in names
    assert "check the return" not in names


def test_a_wrong_password_stops_the_journey_as_an_error(deadline_day):
    side, _, _ = deadline_day
    browser = scenarios.Browser(ClientHttp("2001:db8::2"), sleep=lambda seconds: None)
    with pytest.raises(scenarios.JourneyFailed, match="Sign-in refused"):
        scenarios.sign_in(browser, email=side.users[Role.BOROUGH_SUBMITTER].email, password="not-the-password")


@pytest.mark.parametrize(
    ("role", "url_name", "owner"),
    [
        (Role.STEERING_MEMBER, "dashboards:region", "region"),
        (Role.BOROUGH_SUBMITTER, "dashboards:borough", "borough"),
        (Role.AGENCY_USER, "dashboards:agency", "agency"),
    ],
)
def test_readers_open_each_kind_of_dashboard_over_a_range_of_quarters(deadline_day, role, url_name, owner):
    side, _, _ = deadline_day
    http = ClientHttp("2001:db8::3")
    browser = scenarios.Browser(http, sleep=lambda seconds: None)
    scenarios.sign_in(browser, email=side.users[role].email, password=PASSWORD)
    path = reverse(url_name, kwargs={"pk": getattr(side, owner).pk})
    scenarios.open_dashboard(browser, path=path, quarters=["2026-01-01", "2026-04-01"], rng=random.Random(1), name="d")
    _no_errors(http)
    assert browser.url.startswith(f"{path}?from=2026-")
    chosen = dict(pair.split("=") for pair in browser.url.split("?")[1].split("&"))
    assert chosen["from"] <= chosen["to"] and {chosen["from"], chosen["to"]} <= {"2026-01-01", "2026-04-01"}


def test_an_agency_checks_a_rate_by_the_api_and_on_the_page(deadline_day):
    http = ClientHttp("2001:db8::4")
    question = scenarios.RateQuestion("social-worker", "umbrella", "2026-05-04", "38.00")
    answer = scenarios.check_rate_api(http, question)
    assert answer["cap"] == "36.40" and answer["within_cap"] is False
    scenarios.check_rate_page(scenarios.Browser(http, sleep=lambda seconds: None), question)
    _no_errors(http)
    with pytest.raises(scenarios.JourneyFailed, match="rate check API: 400"):
        scenarios.check_rate_api(http, scenarios.RateQuestion("social-worker", "umbrella", "1999-01-01", "38.00"))


class ScriptedHttp:
    """Answers from a script, recording what was asked, with a clock that moves only when the browser sleeps."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.asked: list[tuple[str, str]] = []
        self.now = 0.0

    def request(self, method, path, *, name, data=None, headers=None):
        self.asked.append((method, path))
        return self.replies.pop(0)

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize(
    ("every", "wait_ms"), [("", scenarios.POLL_DEFAULT_MS), (' data-poll-every="300"', 300)], ids=["default", "300"]
)
def test_a_job_page_is_polled_as_portal_js_polls_it_and_reloaded_when_done(every, wait_ms):
    form = (
        '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t">'
        '<input type="hidden" name="revision" value="3"></form>'
    )
    polling = f'<div data-poll-url="/api/v1/jobs/abc/"{every}>Checking</div>'
    http = ScriptedHttp(
        [
            scenarios.Reply(200, form),
            scenarios.Reply(302, "", "/returns/7/findings/"),
            scenarios.Reply(200, polling),
            scenarios.Reply(200, json.dumps({"status": "running", "progress": 50})),
            scenarios.Reply(200, json.dumps({"status": "succeeded", "progress": 100})),
            scenarios.Reply(200, "<p>0 errors (to correct before submitting) and 2 queries (to explain).</p>"),
        ]
    )
    browser = scenarios.Browser(http, sleep=http.sleep)
    seconds, shown = scenarios.upload_and_wait_for_findings(
        browser, return_id=7, workbook=b"xlsx", clock=lambda: http.now
    )
    assert shown == (0, 2)
    assert seconds == 2 * wait_ms / 1000
    assert http.asked[-3:] == [
        ("GET", "/api/v1/jobs/abc/"),
        ("GET", "/api/v1/jobs/abc/"),
        ("GET", "/returns/7/findings/"),
    ]


def test_a_page_that_sends_a_signed_in_person_to_sign_in_is_an_error_of_its_own(deadline_day):
    side, _, _ = deadline_day
    browser = scenarios.Browser(ClientHttp("2001:db8:5::1"), sleep=lambda seconds: None)  # never signed in
    path = reverse("dashboards:region", kwargs={"pk": side.region.pk})
    with pytest.raises(scenarios.SignedOut, match="sent to the sign-in page"):
        scenarios.open_dashboard(browser, path=path, quarters=["2026-01-01"], rng=random.Random(), name="d")


def test_a_failed_job_or_a_page_with_no_way_on_is_an_error():
    form = '<form method="post"><input type="hidden" name="revision" value="1"></form>'
    failed = ScriptedHttp(
        [
            scenarios.Reply(200, form),
            scenarios.Reply(200, '<div data-poll-url="/api/v1/jobs/x/"></div>'),
            scenarios.Reply(200, json.dumps({"status": "failed", "error": "boom"})),
        ]
    )
    with pytest.raises(scenarios.JourneyFailed, match="The job failed: boom"):
        scenarios.upload_and_wait_for_findings(scenarios.Browser(failed, sleep=failed.sleep), return_id=1, workbook=b"")
    stuck = ScriptedHttp([scenarios.Reply(200, form), scenarios.Reply(200, "<p>Something else</p>")])
    with pytest.raises(scenarios.JourneyFailed, match="Stuck on"):
        scenarios.upload_and_wait_for_findings(scenarios.Browser(stuck, sleep=stuck.sleep), return_id=1, workbook=b"")


def test_the_harness_waits_as_long_as_portal_js_before_each_poll():
    """If portal.js polls on another schedule, the harness must follow it (scenarios.POLL_*), or "upload →
    findings shown" would measure a browser that does not exist."""
    script = (ROOT / "static" / "src" / "portal.js").read_text()
    default = re.search(r"Number\(region\.dataset\.pollEvery\) \|\| (\d+)", script)
    assert default, "portal.js no longer reads data-poll-every as scenarios.wait_for_job emulates: update the harness"
    assert int(default.group(1)) == scenarios.POLL_DEFAULT_MS, "update scenarios.POLL_DEFAULT_MS"
    delays = re.findall(r"setTimeout\(poll, (\w+)\)", script)
    assert delays.count("every") >= 2, "the first poll and each repeat wait data-poll-every: update the harness"


def _samples(rows: dict[str, list[float]], errors: dict[str, int] | None = None) -> dict:
    at = 100.0
    samples = [[at, "GET", name, ms, ""] for name, times in rows.items() for ms in times]
    samples += [[at, "GET", name, 5.0, "500"] for name, n in (errors or {}).items() for _ in range(n)]
    return {"marks": {"start": 0.0, "spawned": 10.0}, "samples": samples}


def _result(tmp_path, name, rows, errors=None):
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(_samples(rows, errors)))
    return report.read(path, settle=5, users=10)


def test_the_ceiling_search_notices_a_p95_that_rises_or_errors_but_not_noise(tmp_path):
    base = _result(tmp_path, "base", {"dashboard (region)": [100.0] * 100, "rate check API": [5.0] * 100})
    same = _result(tmp_path, "same", {"dashboard (region)": [120.0] * 100, "rate check API": [9.0] * 100})
    slower = _result(tmp_path, "slower", {"dashboard (region)": [180.0] * 100, "rate check API": [5.0] * 100})
    failing = _result(tmp_path, "failing", {"dashboard (region)": [100.0] * 100}, errors={"rate check API": 3})
    assert report.moved(base, same) == []  # 20 ms and 4 ms worse: noise, not a ceiling
    assert report.moved(base, slower) == ["dashboard (region) p95 100 → 180 ms"]
    assert report.moved(base, failing) == ["errors 0 → 3"]
    lines = report.table(base)
    assert "dashboard (region)" in lines and "p95 < 200: meets" in lines and "p99 < 50: meets" in lines


def test_requests_before_everyone_signed_in_are_left_out_but_sign_ins_are_kept(tmp_path):
    path = tmp_path / "run.json"
    samples = [
        [3.0, "POST", "sign in", 400.0, ""],
        [3.0, "GET", "x", 900.0, ""],  # the sign-in rush
        [17.0, "GET", "x", 800.0, ""],  # everyone started (10) and signed in (14), still settling (5 s)
        [20.0, "GET", "x", 9.0, ""],
    ]
    path.write_text(json.dumps({"marks": {"start": 0.0, "spawned": 10.0, "ready": 14.0}, "samples": samples}))
    result = report.read(path, settle=5, users=1)
    assert result.row("x").times == [9.0] and result.row("sign in").times == [400.0]
    assert result.signed_in_after == 14.0


def test_the_locustfile_loads_under_the_pinned_locust(tmp_path):
    """Imported in a process of its own: locust patches the standard library (gevent) as it is imported."""
    (tmp_path / "world.json").write_text(json.dumps({"password": "x", "leads": [], "readers": [], "rates": {}}))
    code = (
        "from benchmarks.loadtest import locustfile as f; "
        "print(f.BoroughLead.fixed_count, f.DashboardReader.fixed_count, f.RateChecker.fixed_count, f.RateChecker.host)"
    )
    env = {
        **os.environ,
        "LOAD_WORLD": str(tmp_path / "world.json"),
        "LOAD_LEADS": "3",
        "LOAD_READERS": "4",
        "LOAD_RATERS": "5",
        "LOAD_RATES_HOST": "http://127.0.0.1:1",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["3", "4", "5", "http://127.0.0.1:1"]


@pytest.mark.parametrize(("pool", "worker_class"), [("pages", "gthread"), ("rates", "sync")])
def test_the_two_gunicorn_pools(pool, worker_class, monkeypatch):
    import runpy

    monkeypatch.setenv("PORTAL_POOL", pool)
    conf = runpy.run_path(str(ROOT / "pledge_portal" / "gunicorn_conf.py"))
    assert conf["worker_class"] == worker_class and conf["workers"] >= 2
    monkeypatch.setenv("PORTAL_POOL", "everything")
    with pytest.raises(RuntimeError, match="PORTAL_POOL"):
        runpy.run_path(str(ROOT / "pledge_portal" / "gunicorn_conf.py"))


def test_docker_compose_serves_pages_and_rate_checks_from_their_two_pools():
    """docker-compose.yml cannot be run here (no Docker engine): read it for the serving shape instead."""
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    web, rates = services["web"], services["rates"]
    assert "-c python:pledge_portal.gunicorn_conf" in " ".join(web["command"]) and "0.0.0.0:8000" in web["command"][-1]
    assert "PORTAL_POOL" not in web["environment"]
    assert rates["environment"]["PORTAL_POOL"] == "rates"
    assert rates["environment"]["DATABASE_URL"] == web["environment"]["DATABASE_URL"]  # one application
    assert rates["command"][:3] == ["gunicorn", "-c", "python:pledge_portal.gunicorn_conf"]
    assert "0.0.0.0:8001" in rates["command"] and rates["ports"][0].endswith(":8001")
    assert "127.0.0.1:8001/healthz" in rates["healthcheck"]["test"][-1]
