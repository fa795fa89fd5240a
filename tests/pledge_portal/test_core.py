"""Home pages, navigation, error pages, the health check, the API schema and exports."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.core.exports import neutralise, write_csv

ROOT = Path(__file__).resolve().parents[2]

HEADINGS = {
    Role.BOROUGH_SUBMITTER: "Your borough's returns and references",
    Role.BOROUGH_APPROVER: "Sign-off and your borough's team",
    Role.AGENCY_USER: "Your agency on the London Pledge",
    Role.AGENCY_ADMIN: "Your agency and its users",
    Role.MSP_USER: "The boroughs you report for",
    Role.REGIONAL_ANALYST: "The region at a glance",
    Role.STEERING_MEMBER: "The region at a glance",
    Role.PLATFORM_ADMIN: "Portal administration",
}


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_its_own_home_page(role, world, client_for):
    response = client_for(world.user(role)).get(reverse("home"))
    assert response.status_code == 200
    assert response.context["heading"] == HEADINGS[role]
    nav = {item["title"] for item in response.context["navigation"]}
    cards = {j.title for j in response.context["journeys"]}  # every journey has a card; the menu has the main ones
    assert ("Audit log" in nav) == (role in (Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN))
    assert ("Your team" in cards) == (
        role in (Role.BOROUGH_APPROVER, Role.AGENCY_ADMIN, Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN)
    )
    assert ("Django admin" in cards) == (role == Role.PLATFORM_ADMIN)
    assert len(nav) <= 7  # one line at 1280 pixels (tests/browser/test_layout.py)


def test_home_pages_show_the_users_own_organisation(world, client_for):
    msp_home = client_for(world.own.users[Role.MSP_USER]).get(reverse("home")).content.decode()
    assert world.own.msp_borough.name in msp_home and world.other.msp_borough.name not in msp_home
    agency_home = client_for(world.own.users[Role.AGENCY_USER]).get(reverse("home")).content.decode()
    assert world.own.agency.name in agency_home and world.other.agency.name not in agency_home


def test_signed_out_visitors_see_what_the_portal_is(client_for, db):
    body = client_for(None).get(reverse("home")).content.decode()
    assert "Sign in" in body and reverse("account_login") in body


@override_settings(DEBUG=False)
def test_missing_pages_use_the_portal_layout(client_for, db):
    response = client_for(None).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode() and "govuk-template" in response.content.decode()


def test_server_errors_show_a_plain_apology(rf):
    from pledge_portal.core.views import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500 and "Sorry, there is a problem with the service" in response.content.decode()


def test_health_check_reports_the_database_and_queue(client_for, db, settings):
    settings.REDIS_URL = ""
    body = client_for(None).get(reverse("healthz")).json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["queue"]["mode"] == "in-process"


def test_health_check_fails_when_the_broker_is_unreachable(client_for, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client_for(None).get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["queue"] == {"ok": False, "mode": "redis", "error": "ConnectionError"}


def test_api_schema_and_docs_need_no_cdn(client_for, db):
    schema = client_for(None).get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/v1/jobs/{id}/" in schema.json()["paths"]
    docs = client_for(None).get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "https://" not in docs
    assert '<html lang="en-GB">' in docs  # a screen reader reads it in English
    script = client_for(None).get(reverse("api-docs") + "?script")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_formula_like_text_is_neutralised():
    assert [neutralise(v) for v in ["=1+1", "+44", "-2", "@SUM", "plain", 5, None]] == [
        "'=1+1",
        "'+44",
        "'-2",
        "'@SUM",
        "plain",
        5,
        None,
    ]
    assert write_csv([["=cmd"]], header=["h"]).decode("utf-8-sig").splitlines() == ["h", "'=cmd"]


def _manage(*args, **env):
    full_env = {**os.environ, **env}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_the_deployment_checklist():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-key-for-this-test-only-0123456789",
        TWO_FACTOR_ENCRYPTION_KEYS="hGtC2rYJ6ZpKXc6pQm1nq5Qk3oAa9cG3hZ0nV8l5x7M=",
        ALLOWED_HOSTS="pledge.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("https,secure", [(None, "True True"), ("false", "False False")])
def test_production_cookies_are_secure_unless_served_over_plain_http(https, secure):
    """docker-compose's http://localhost shape (HTTPS=false) must be able to sign in: browsers do not send
    Secure cookies back over plain HTTP."""
    env = {
        "DEBUG": "false",
        "ALLOWED_HOSTS": "localhost",
        "SECRET_KEY": "x" * 60,
        "TWO_FACTOR_ENCRYPTION_KEYS": "hGtC2rYJ6ZpKXc6pQm1nq5Qk3oAa9cG3hZ0nV8l5x7M=",
    }
    if https is not None:
        env["HTTPS"] = https
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    result = _manage("shell", "-c", code, **env)
    assert result.stdout.strip().splitlines()[-1] == secure, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "pledge.example.org", "SECRET_KEY": ""}
    result = _manage("check", **env)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_key_for_two_factor_secrets():
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "pledge.example.org", "SECRET_KEY": "x" * 60}
    result = _manage("check", **env, TWO_FACTOR_ENCRYPTION_KEYS="")
    assert result.returncode != 0 and "TWO_FACTOR_ENCRYPTION_KEYS must be set" in result.stderr


@pytest.mark.parametrize("role", list(Role))
def test_home_page_queries_do_not_grow_with_data(role, world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import AgencyFactory, BoroughFactory, user_with_role

    client = client_for(world.user(role))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("home")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for _ in range(10):
        BoroughFactory(region=world.own.region)
        user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    assert count() == before
    assert before <= 15


def test_openapi_schema_is_valid_and_complete(tmp_path, db):
    """Every endpoint documents itself without warnings (a warning means a guessed type in the docs)."""
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    paths = yaml.safe_load(out.read_text())["paths"]
    assert {"/api/v1/rates/check/", "/api/v1/rates/current/", "/api/v1/rates/cards/"} <= set(paths)


def test_one_menu_item_is_current_the_most_specific(world, client_for):
    page = client_for(world.own.users[Role.REGIONAL_ANALYST]).get(reverse("packs:index"))
    current = [item["title"] for item in page.context["navigation"] if item["current"]]
    assert current == ["Compliance packs"]  # under /returns/packs/, not also Returns
