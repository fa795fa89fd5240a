"""What each simulated person does, as plain functions over a small HTTP interface (``Http``).

The load test (``locustfile.py``) runs them through locust's HTTP client; ``tests/benchmarks`` runs each of
them once through Django's test client, so that the harness cannot rot unnoticed when a page changes. Nothing
here imports locust or Django.

The journeys follow the pages as a browser would: forms are read for their CSRF token and hidden fields,
redirects are followed one hop at a time (each hop is a request of its own in the figures), and a page that
polls a job (``data-poll-url``) is polled the way ``static/src/portal.js`` does it, so "upload → findings
shown" is the time a person with a browser waits, not the time the server takes.
"""

import html
import json
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode, urlsplit

# static/src/portal.js polls a job's JSON every data-poll-every milliseconds (this when a page does not say),
# from when the page loads until the job has finished, when it reloads the page. tests/benchmarks checks this
# against the script itself.
POLL_DEFAULT_MS = 2000
FLOW_TIMEOUT_SECONDS = 120.0  # an upload whose findings are not on screen by then counts as an error
MAX_STEPS = 12  # pages a journey may pass through before it is called lost (a loop between pages)

SIGN_IN = "/accounts/login/"
RATE_CHECK_API = "/api/v1/rates/check/"
RATE_CHECK_PAGE = "/rates/check/"
UPLOAD_TO_FINDINGS = "upload → findings shown"  # the name of the custom event in the figures


@dataclass
class Reply:
    status: int
    text: str
    location: str = ""  # the Location header of a redirect, as sent

    @property
    def redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308)


class Http(Protocol):
    """One person's browser: keeps cookies, follows no redirect itself, and records each request in the
    figures under ``name``. A reply that is not 2xx or 3xx is counted as an error by the implementation."""

    def request(
        self, method: str, path: str, *, name: str, data: bytes | None = None, headers: dict | None = None
    ) -> Reply: ...


class JourneyFailed(Exception):
    """The page was not what a person would expect: the journey stops and counts as an error."""


class SignedOut(JourneyFailed):
    """A page sent a person who had signed in back to the sign-in page."""


@dataclass
class Browser:
    """Pages as a person meets them: GET and form POSTs, redirects followed hop by hop (same site only)."""

    http: Http
    sleep: Callable[[float], None] = time.sleep
    url: str = "/"
    page: Reply = field(default_factory=lambda: Reply(200, ""))

    def get(self, path: str, *, name: str) -> Reply:
        return self._follow(self.http.request("GET", path, name=name), path, name)

    def post_form(self, path: str, fields: dict, *, name: str, files: dict | None = None) -> Reply:
        if files:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urlencode(fields).encode(), "application/x-www-form-urlencoded"
        reply = self.http.request("POST", path, name=name, data=body, headers={"Content-Type": content_type})
        return self._follow(reply, path, name)

    def _follow(self, reply: Reply, path: str, name: str) -> Reply:
        hops = 0
        while reply.redirect:
            hops += 1
            if hops > 5:
                raise JourneyFailed(f"Too many redirects from {name}")
            path = local_path(reply.location, base=path)
            if path.startswith(SIGN_IN) and not name.startswith("sign in"):
                raise SignedOut(f"{name}: sent to the sign-in page")
            reply = self.http.request("GET", path, name=f"{name} (redirected)")
        if reply.status >= 400:
            raise JourneyFailed(f"{name}: {reply.status}")
        self.url, self.page = path, reply
        return reply


def local_path(location: str, *, base: str = "/") -> str:
    """A redirect's target on this site, as a path: a redirect elsewhere would be a bug here."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.split(":")[0] not in ("127.0.0.1", "localhost", "testserver"):
        raise JourneyFailed(f"Redirected off the site, to {location[:80]}")
    path = parts.path or base
    if not path.startswith("/"):
        path = base.rsplit("/", 1)[0] + "/" + path
    return path + (f"?{parts.query}" if parts.query else "")


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body: ``files`` maps a field to (file name, content type, bytes)."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    for key, (filename, content_type, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- Reading pages -------------------------------------------------------------------------------------------

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_INPUT = re.compile(r"<input\b([^>]*)>", re.I)
_ATTR = re.compile(r'([\w:-]+)\s*=\s*"([^"]*)"')
_POLL = re.compile(r'data-poll-url="([^"]+)"')
_POLL_EVERY = re.compile(r'data-poll-every="(\d+)"')
# The findings page's summary line: "3 errors (to correct before submitting) and 12 queries (to explain)."
_FINDINGS = re.compile(r"(\d+) errors? \(to correct before submitting\) and (\d+) quer(?:y|ies)")


def attributes(tag: str) -> dict[str, str]:
    return {k.lower(): html.unescape(v) for k, v in _ATTR.findall(tag)}


def form_fields(page: str, *, action: str | None = None, has_field: str | None = None) -> tuple[str, dict]:
    """The first form (posting to ``action``, or holding a field ``has_field``) and its hidden and checked
    fields, as the browser would send them untouched. Raises JourneyFailed when there is none."""
    for form_attrs, body in _FORM.findall(page):
        target = attributes(form_attrs).get("action", "")
        inputs = [attributes(tag) for tag in _INPUT.findall(body)]
        if action is not None and target != action:
            continue
        if has_field is not None and not any(i.get("name") == has_field for i in inputs):
            continue
        fields = {}
        for i in inputs:
            kind = i.get("type", "text").lower()
            if "name" in i and (kind == "hidden" or (kind in ("radio", "checkbox") and "checked" in i)):
                fields[i["name"]] = i.get("value", "")
        return target, fields
    raise JourneyFailed(f"No form {'to ' + action if action else 'with ' + str(has_field)} on the page")


def findings_shown(page: str) -> tuple[int, int] | None:
    """(errors, queries) when the page shows a finished check's findings."""
    match = _FINDINGS.search(page)
    return (int(match.group(1)), int(match.group(2))) if match else None


# --- The journeys -------------------------------------------------------------------------------------------


def sign_in(browser: Browser, *, email: str, password: str) -> bool:
    """Sign in on the portal's own page (the roles simulated here need no two-factor code)."""
    browser.get(SIGN_IN, name="sign in page")
    _, fields = form_fields(browser.page.text, has_field="password")
    browser.post_form(SIGN_IN, {**fields, "login": email, "password": password}, name="sign in")
    if 'name="password"' in browser.page.text:
        raise JourneyFailed(f"Sign-in refused for {email}")
    return True


def upload_and_wait_for_findings(
    browser: Browser, *, return_id: int, workbook: bytes, clock: Callable[[], float] = time.monotonic
) -> tuple[float, tuple[int, int]]:
    """A borough lead uploads the completed template (replacing the rows), has it checked and waits until
    the findings are on screen. Returns the seconds from pressing "Upload" to the findings being shown, and
    (errors, queries).

    Whatever pages the portal puts in between are followed as a person would: a page polling a job is left to
    poll (as portal.js does) and reloaded when the job is done; a finished upload's link to its findings is
    followed; a return page offering "Check the return" has it pressed."""
    upload = f"/returns/{return_id}/upload/"
    check = f"/returns/{return_id}/check/"
    findings = f"/returns/{return_id}/findings/"
    browser.get(upload, name="upload page")
    _, fields = form_fields(browser.page.text, has_field="revision")
    fields["mode"] = "replace"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    started = clock()
    browser.post_form(upload, fields, name="upload", files={"workbook": ("return.xlsx", xlsx, workbook)})
    pressed_check = False
    for _ in range(MAX_STEPS):
        shown = findings_shown(browser.page.text)
        if shown is not None:
            return clock() - started, shown
        if clock() - started > FLOW_TIMEOUT_SECONDS:
            raise JourneyFailed(f"No findings after {FLOW_TIMEOUT_SECONDS:.0f} s")
        poll = _POLL.search(browser.page.text)
        if poll:
            every = _POLL_EVERY.search(browser.page.text)
            every_ms = int(every.group(1)) if every else POLL_DEFAULT_MS
            wait_for_job(browser, html.unescape(poll.group(1)), every_ms=every_ms, started=started, clock=clock)
            browser.get(browser.url, name="page reloaded after the job")
        elif f'href="{findings}"' in browser.page.text:  # a finished upload's page: "See the findings"
            browser.get(findings, name="findings page")
        elif not pressed_check and f'action="{check}"' in browser.page.text:
            _, fields = form_fields(browser.page.text, action=check)
            browser.post_form(check, fields, name="check the return")
            pressed_check = True
        else:
            raise JourneyFailed(f"Stuck on {browser.url.split('?')[0]}: no findings, no job, no check to press")
    raise JourneyFailed("Too many pages between the upload and the findings")


def wait_for_job(
    browser: Browser, poll_url: str, *, every_ms: int = POLL_DEFAULT_MS, started: float, clock: Callable[[], float]
) -> dict:
    """Poll a job's JSON as portal.js does until it has finished (or failed, which is an error here)."""
    browser.sleep(every_ms / 1000)
    while True:
        reply = browser.http.request("GET", poll_url, name="job poll", headers={"Accept": "application/json"})
        if reply.status != 200:
            raise JourneyFailed(f"job poll: {reply.status}")
        run = json.loads(reply.text)
        if run.get("status") == "failed":
            raise JourneyFailed(f"The job failed: {str(run.get('error'))[:80]}")
        if run.get("status") == "succeeded":
            return run
        if clock() - started > FLOW_TIMEOUT_SECONDS:
            raise JourneyFailed(f"The job was still {run.get('status')} after {FLOW_TIMEOUT_SECONDS:.0f} s")
        browser.sleep(every_ms / 1000)


def open_dashboard(browser: Browser, *, path: str, quarters: list[str], rng: random.Random, name: str) -> None:
    """A reader opens a dashboard over a random range of quarters (any length, from one quarter to all)."""
    first, last = sorted(rng.randrange(len(quarters)) for _ in range(2))
    browser.get(f"{path}?{urlencode({'from': quarters[first], 'to': quarters[last]})}", name=name)
    if "govuk-table" not in browser.page.text:
        raise JourneyFailed(f"{name}: no figures on the page")


@dataclass(frozen=True)
class RateQuestion:
    role: str
    engagement_type: str
    date: str
    hourly_rate: str

    @classmethod
    def pick(cls, rng: random.Random, *, roles: list[str], engagement_types: list[str], dates: list[str]):
        return cls(rng.choice(roles), rng.choice(engagement_types), rng.choice(dates), f"{rng.uniform(25, 60):.2f}")


def check_rate_api(http: Http, question: RateQuestion) -> dict:
    """An agency's system asks the rate check API (no sign-in)."""
    body = json.dumps(question.__dict__).encode()
    reply = http.request(
        "POST",
        RATE_CHECK_API,
        name="rate check API",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if reply.status != 200:
        raise JourneyFailed(f"rate check API: {reply.status}")
    answer = json.loads(reply.text)
    if "cap" not in answer:
        raise JourneyFailed("rate check API: no cap in the answer")
    return answer


def check_rate_page(browser: Browser, question: RateQuestion) -> None:
    """An agency user fills in the rate check page (a GET form)."""
    browser.get(f"{RATE_CHECK_PAGE}?{urlencode(question.__dict__)}", name="rate check page")
    if 'id="rate-result"' not in browser.page.text:
        raise JourneyFailed("rate check page: no answer on the page")
