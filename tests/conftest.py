"""Shared fixtures: a small two-tenant world with a user for every role on each side."""

from dataclasses import dataclass, field

import pytest
from django.test import Client

from pledge_portal.accounts.models import Organisation, User
from pledge_portal.accounts.roles import Role

from .factories import AgencyFactory, BoroughFactory, MSPFactory, RegionFactory, user_with_role


@pytest.fixture(autouse=True)
def tasks_run_in_process(request):
    """Tasks run in the test's own process, as in the default set-up, even when REDIS_URL points at a real
    broker: only tests marked ``worker`` send them through Redis to a real worker process."""
    from pledge_portal.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture(scope="module")
def audit_log_flushable(django_db_setup, django_db_blocker):
    """Let transactional tests (a live server, a worker process) clean up after themselves.

    The audit table is append-only in the database (triggers refuse UPDATE, DELETE and TRUNCATE: see
    pledge_portal/audit/migrations/0002_append_only.py), but a transactional test ends by flushing every
    table, which those triggers refuse. For the tests of one module the triggers are dropped, and put back
    with the migration's own SQL once the module's last flush has run. Module scope makes this fixture set up
    before, and torn down after, every test's own database fixture. Use it in modules of transactional
    tests only: ``pytestmark = pytest.mark.usefixtures("audit_log_flushable")``.
    """
    import importlib

    from django.db import connection

    migration = importlib.import_module("pledge_portal.audit.migrations.0002_append_only")
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        migration.down(None, editor)
    try:
        yield
    finally:
        with django_db_blocker.unblock(), connection.schema_editor() as editor:
            migration.up(None, editor)


@pytest.fixture(autouse=True)
def figures_computed_afresh(settings):
    """Dashboard figures are cached by a version of the data (dashboards.cache); tests that reuse ids
    on a shared cache could meet another test's figures, so the cache is off unless a test turns it on."""
    settings.DASHBOARD_CACHE_SECONDS = 0


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@dataclass
class Side:
    """One tenant of each kind, and one user per role in them."""

    borough: object
    agency: object
    msp: object
    msp_borough: object
    region: object
    users: dict[str, User] = field(default_factory=dict)

    def organisation_for(self, role: str) -> Organisation | None:
        return {
            Role.BOROUGH_SUBMITTER: self.borough.organisation,
            Role.BOROUGH_APPROVER: self.borough.organisation,
            Role.AGENCY_USER: self.agency.organisation,
            Role.AGENCY_ADMIN: self.agency.organisation,
            Role.MSP_USER: self.msp.organisation,
            Role.REGIONAL_ANALYST: self.region.organisation,
            Role.STEERING_MEMBER: self.region.organisation,
            Role.PLATFORM_ADMIN: None,
        }[role]


@dataclass
class World:
    own: Side
    other: Side
    platform_admin: User

    def user(self, role: str) -> User:
        return self.platform_admin if role == Role.PLATFORM_ADMIN else self.own.users[role]


def _side(label: str) -> Side:
    region = RegionFactory(
        name=f"{label} region", organisation__name=f"{label} programme team", organisation__slug=f"{label.lower()}-team"
    )
    borough = BoroughFactory(name=f"{label} Borough", region=region, organisation__slug=f"{label.lower()}-borough")
    msp_borough = BoroughFactory(name=f"{label} MSP Borough", region=region)
    msp = MSPFactory(name=f"{label} MSP", organisation__slug=f"{label.lower()}-msp")
    msp.boroughs.add(msp_borough)
    agency = AgencyFactory(name=f"{label} Agency Ltd", organisation__slug=f"{label.lower()}-agency")
    side = Side(borough=borough, agency=agency, msp=msp, msp_borough=msp_borough, region=region)
    for role in Role:
        if role == Role.PLATFORM_ADMIN:
            continue
        side.users[role] = user_with_role(
            role, side.organisation_for(role), email=f"{role.value.replace('_', '-')}@{label.lower()}.example.test"
        )
    return side


def make_world() -> World:
    """Two tenants of every kind ("own" and "other", in two regions) and a platform admin."""
    return World(
        own=_side("Own"),
        other=_side("Other"),
        platform_admin=user_with_role(Role.PLATFORM_ADMIN, email="platform@example.test"),
    )


@pytest.fixture
def world(db) -> World:
    """Two tenants of every kind ("own" and "other", in two regions) and a platform admin."""
    return make_world()


@pytest.fixture
def client_for():
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


def require_service(name: str, available: bool, how: str) -> None:
    """Tests that need a real service (Redis, a Celery worker, Chromium) run wherever it exists. On a
    laptop without it they are skipped with a reason; in CI (``CI`` or ``PLEDGE_REQUIRE_SERVICES`` set)
    a missing service fails the run, so CI can never turn green by skipping them."""
    import os

    if available:
        return
    message = f"{name} is not available: {how}"
    if os.environ.get("CI") or os.environ.get("PLEDGE_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)
