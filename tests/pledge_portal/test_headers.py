"""Headers: a strict Content-Security-Policy on every page (no inline script or style), private responses never
stored, files always downloaded as attachments. The tenancy walk (tests/test_tenancy.py) checks the same on
every URL for every role; these are the cases it does not reach."""

import re

import pytest
from django.urls import reverse

from pledge_portal.accounts import services as account_services
from pledge_portal.accounts.roles import Role

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle=\"", re.IGNORECASE)


def assert_strict_policy(response) -> None:
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", policy
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'", policy
    assert "unsafe" not in policy


def assert_no_inline_code(body: str) -> None:
    assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body).group(0)
    assert not INLINE_STYLE.search(body), INLINE_STYLE.search(body).group(0)


@pytest.mark.parametrize("name", ["home", "account_login", "rates:check", "api-docs"])
def test_pages_have_a_strict_policy_and_no_inline_script_or_style(name, client_for, db):
    response = client_for(None).get(reverse(name))
    assert response.status_code == 200
    assert_strict_policy(response)
    assert_no_inline_code(response.content.decode())


def test_the_api_docs_start_up_script_is_a_file(client_for, db):
    page = client_for(None).get(reverse("api-docs")).content.decode()
    script = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1).replace("&amp;", "&")
    response = client_for(None).get(script)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_dashboards_charts_need_no_inline_style(world, client_for):
    response = client_for(world.own.users[Role.REGIONAL_ANALYST]).get(
        reverse("dashboards:region", args=[world.own.region.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'class="pledge-chart"' in body
    assert_no_inline_code(body)


def test_signed_in_pages_and_api_answers_are_never_stored(world, client_for):
    user = world.own.users[Role.AGENCY_USER]
    page = client_for(user).get(reverse("home"))
    assert {"private", "no-store"} <= {d.strip() for d in page["Cache-Control"].split(",")}
    key = account_services.create_api_token(user=user)
    api = client_for(None).get(reverse("api-reference-requests"), HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 200 and "no-store" in api["Cache-Control"]


def test_public_pages_stay_cacheable(client_for, db):
    response = client_for(None).get(reverse("rates:current"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_setting_up_two_factor_works_under_the_policy(world, client_for):
    """The QR code is an image from a data: address, which the policy allows; nothing on the page is inline."""
    from tests.factories import PASSWORD

    client = client_for(world.own.users[Role.AGENCY_USER])
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    body = response.content.decode()
    assert response.status_code == 200 and ("data:image/svg+xml" in body or "<svg" in body)
    assert_no_inline_code(body)
