"""Deadline day under load: borough leads, dashboard readers and agencies checking rates (locust users).

Run by ``python -m benchmarks.loadtest`` (``make bench-load``), which sets these environment variables:

- ``LOAD_WORLD``: the ``world.json`` that ``world.build()`` wrote (accounts, returns, workbooks, dashboards);
- ``LOAD_LEADS``, ``LOAD_READERS``, ``LOAD_RATERS``: how many of each (exact counts: locust's ``fixed_count``);
- ``LOAD_PAGES_HOST`` and ``LOAD_RATES_HOST``: the pages pool, and the rate check pool (where the proxy in
  front sends ``/api/v1/rates/`` and ``/rates/check/``);
- ``LOAD_RESULTS``: where to write every request's time and outcome (JSON) when the run stops;
- ``LOAD_SETTLE_SECONDS``, ``LOAD_MEASURE_SECONDS``: the run stops this long after everyone has signed in;
- ``LOAD_LEAD_THINK``, ``LOAD_READER_THINK``, ``LOAD_RATER_THINK``: seconds each waits between two journeys,
  as "low,high" (defaults 10,30; 5,15; 1,3).

Each simulated person has an address of their own, sent as ``X-Forwarded-For`` to a portal started with
``TRUSTED_PROXY_COUNT=1`` (as behind production's TLS proxy), so per-address limits (sign-in, the API's
throttles) apply per person as they would in production, not to the whole load at once.
"""

import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, between, events, task

from benchmarks.loadtest import scenarios

WORLD_PATH = Path(os.environ.get("LOAD_WORLD", "world.json"))
WORLD = json.loads(WORLD_PATH.read_text()) if WORLD_PATH.exists() else {"leads": [], "readers": [], "rates": {}}
_people = itertools.count(1)
_leads = itertools.count()
_readers = itertools.count()


def _think(name: str, default: str):
    low, high = (float(x) for x in os.environ.get(name, default).split(","))
    return between(low, high)


class LocustHttp:
    """``scenarios.Http`` over locust's client: no redirect followed, 4xx/5xx and lost connections are errors."""

    def __init__(self, session, address: str):
        self.session = session
        self.address = address

    def request(self, method, path, *, name, data=None, headers=None):
        headers = {"X-Forwarded-For": self.address, **(headers or {})}
        with self.session.request(
            method, path, name=name, data=data, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            status = response.status_code or 0
            if status == 0 or status >= 400:
                response.failure(f"{status} {str(getattr(response, 'error', '') or '')[:80]}")
            else:
                response.success()
            location = (response.headers or {}).get("Location") or (response.headers or {}).get("location") or ""
            return scenarios.Reply(status, response.text or "", location)


class Person(FastHttpUser):
    abstract = True
    host = os.environ.get("LOAD_PAGES_HOST")  # not --host, which locust would give every class

    def on_start(self):
        # A documentation address (a header value, never dialled), each in a /64 of its own: allauth counts
        # sign-ins per /64 of an IPv6 address, as one household or office.
        self.address = f"2001:db8:{next(_people):x}::1"
        self.http = LocustHttp(self.client, self.address)
        self.browser = scenarios.Browser(self.http, sleep=time.sleep)  # gevent patches time.sleep
        self.rng = random.Random()
        self.begin()  # a journey that fails is counted and returns; a user stopped mid-way never gets here
        _ready()

    def begin(self):
        """What the person does once, before their journeys (signing in)."""

    def sign_in(self, email: str) -> bool:
        """Signed in, or signs in now: someone refused tries again before their next journey, rather than
        meeting the sign-in page where each page should be (which would count as every page failing)."""
        if not getattr(self, "signed_in", False):
            self.signed_in = bool(
                self.journey("sign in", scenarios.sign_in, self.browser, email=email, password=WORLD["password"])
            )
        return self.signed_in

    def journey(self, label, function, /, *args, **kwargs):
        """Run a journey; one that goes wrong is counted under its name and the person carries on."""
        try:
            return function(*args, **kwargs)
        except scenarios.JourneyFailed as exc:
            if isinstance(exc, scenarios.SignedOut):
                self.signed_in = False  # signs in again before the next journey
            events.request.fire(
                request_type="JOURNEY", name=label, response_time=0, response_length=0, exception=exc, context={}
            )
            return None


class BoroughLead(Person):
    """Signs in, then uploads the return's workbook, has it checked and waits for the findings; again and again."""

    fixed_count = int(os.environ.get("LOAD_LEADS", "1"))
    wait_time = _think("LOAD_LEAD_THINK", "10,30")

    def begin(self):
        leads = WORLD["leads"]
        self.lead = leads[next(_leads) % len(leads)]
        self.workbook = (WORLD_PATH.parent / self.lead["workbook"]).read_bytes()
        self.sign_in(self.lead["email"])

    @task
    def upload_and_check(self):
        if not self.sign_in(self.lead["email"]):
            return
        outcome = self.journey(
            scenarios.UPLOAD_TO_FINDINGS,
            scenarios.upload_and_wait_for_findings,
            self.browser,
            return_id=self.lead["return"],
            workbook=self.workbook,
        )
        if outcome is not None:
            seconds, _ = outcome
            events.request.fire(
                request_type="FLOW",
                name=scenarios.UPLOAD_TO_FINDINGS,
                response_time=seconds * 1000,
                response_length=0,
                exception=None,
                context={},
            )


class DashboardReader(Person):
    """Signs in, then opens their dashboard over a random range of quarters, again and again."""

    fixed_count = int(os.environ.get("LOAD_READERS", "1"))
    wait_time = _think("LOAD_READER_THINK", "5,15")

    def begin(self):
        readers = WORLD["readers"]
        self.reader = readers[next(_readers) % len(readers)]
        self.sign_in(self.reader["email"])

    @task
    def open_dashboard(self):
        if not self.sign_in(self.reader["email"]):
            return
        self.journey(
            f"dashboard ({self.reader['kind']})",
            scenarios.open_dashboard,
            self.browser,
            path=self.reader["dashboard"],
            quarters=self.reader["quarters"],
            rng=self.rng,
            name=f"dashboard ({self.reader['kind']})",
        )


class RateChecker(Person):
    """An agency checks rates: mostly its own system through the API, sometimes a person on the page."""

    fixed_count = int(os.environ.get("LOAD_RATERS", "1"))
    wait_time = _think("LOAD_RATER_THINK", "1,3")
    host = os.environ.get("LOAD_RATES_HOST")

    def question(self):
        return scenarios.RateQuestion.pick(self.rng, **WORLD["rates"])

    @task(3)
    def api(self):
        self.journey("rate check API", scenarios.check_rate_api, self.http, self.question())

    @task(1)
    def page(self):
        self.journey("rate check page", scenarios.check_rate_page, self.browser, self.question())


# --- Every request's outcome, written when the run stops (the runner makes the table) -------------------------

_samples: list[tuple[float, str, str, float, str]] = []
_marks: dict[str, float] = {"start": time.time()}
_begun = itertools.count(1)


def _ready():
    """Marks when every person has signed in: the figures are taken from then on (with a settling time), so
    the sign-in rush at the start (password hashing is slow on purpose) is not mistaken for the steady load."""
    everyone = BoroughLead.fixed_count + DashboardReader.fixed_count + RateChecker.fixed_count
    if next(_begun) >= everyone:
        _marks.setdefault("ready", time.time())


@events.request.add_listener
def _record(request_type, name, response_time, exception, **kwargs):
    _samples.append((time.time(), request_type, name, response_time, str(exception)[:120] if exception else ""))


@events.user_error.add_listener
def _crashed(user_instance, exception, tb, **kwargs):
    """A bug in a journey (not a page's answer): counted as an error, so the table cannot look clean."""
    _samples.append((time.time(), "JOURNEY", "harness error", 0, repr(exception)[:120]))


@events.test_start.add_listener
def _stop_once_measured(environment, **kwargs):
    """Stop the run ``LOAD_SETTLE_SECONDS`` + ``LOAD_MEASURE_SECONDS`` after everyone has signed in, however
    long signing in took (``--run-time`` stays the upper bound)."""
    measure = float(os.environ.get("LOAD_MEASURE_SECONDS") or 0)
    settle = float(os.environ.get("LOAD_SETTLE_SECONDS") or 0)
    if not measure:
        return

    def stop():
        while "ready" not in _marks:
            gevent.sleep(0.5)
        gevent.sleep(max(0.0, _marks["ready"] + settle + measure - time.time()))
        environment.runner.quit()

    gevent.spawn(stop)


@events.spawning_complete.add_listener
def _spawned(user_count, **kwargs):
    _marks.setdefault("spawned", time.time())


@events.quitting.add_listener
def _write(environment, **kwargs):
    path = os.environ.get("LOAD_RESULTS")
    if path:
        Path(path).write_text(json.dumps({"marks": _marks, "samples": _samples}))
