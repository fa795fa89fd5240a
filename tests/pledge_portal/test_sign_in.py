"""Signing in: email and password, two-factor for the roles that need it, and limits on guessing."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from tests.factories import PASSWORD, AgencyFactory, BoroughFactory, RegionFactory, totp_secret, user_with_role


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()  # allauth keeps its counters in the cache
    yield
    cache.clear()


def _sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_borough_lead_signs_in_with_email_and_password(client_for, db):
    user = user_with_role(Role.BOROUGH_SUBMITTER, BoroughFactory(name="Camden").organisation)
    client = client_for(None)
    response = _sign_in(client, user.email.upper())  # addresses are not case-sensitive
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.context["heading"] == "Your borough's returns and references"
    assert "Camden" in home.content.decode()


def test_analyst_must_give_the_code_from_their_app(client_for, db):
    analyst = user_with_role(Role.REGIONAL_ANALYST, RegionFactory().organisation)
    client = client_for(None)
    response = _sign_in(client, analyst.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("home")).context["user"].is_authenticated is False  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    code = format_hotp_value(hotp_value(totp_secret(analyst), int(time.time()) // 30))
    done = client.post(reverse("mfa_authenticate"), {"code": code})
    assert done.status_code == 302
    assert client.get(reverse("home")).context["heading"] == "The region at a glance"


@pytest.mark.parametrize("role", [Role.BOROUGH_APPROVER, Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN])
def test_roles_that_need_two_factor_must_set_it_up_first(role, client_for, db):
    org = {
        Role.BOROUGH_APPROVER: BoroughFactory().organisation,
        Role.REGIONAL_ANALYST: RegionFactory().organisation,
    }.get(role)
    user = user_with_role(role, org, totp=False)
    client = client_for(user)
    for url in (reverse("home"), reverse("accounts:account"), reverse("boroughs:directory")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), url
    assert client.get(reverse("api-job-detail", args=["00000000-0000-0000-0000-000000000000"])).status_code == 403
    assert client.get(reverse("healthz")).status_code == 200


def test_other_roles_may_use_the_portal_without_two_factor(client_for, db):
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    assert not Authenticator.objects.filter(user=user).exists()
    assert client_for(user).get(reverse("home")).status_code == 200


def test_repeated_failed_sign_ins_are_refused_even_with_the_right_password(client_for, db):
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    client = client_for(None)
    for _ in range(5):
        assert _sign_in(client, user.email, "wrong-password").status_code == 200
    blocked = _sign_in(client, user.email)
    assert blocked.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in blocked.content.decode()


def test_wrong_password_shows_an_error_summary(client_for, db):
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    response = _sign_in(client_for(None), user.email, "wrong-password")
    body = response.content.decode()
    assert "There is a problem" in body and "govuk-error-summary" in body


def test_admin_sign_in_page_sends_people_to_the_portal_sign_in(client_for, db):
    response = client_for(None).get(reverse("admin:login") + "?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    forged = client_for(None).get(reverse("admin:login") + "?next=https://evil.example/")
    assert "evil.example" not in forged["Location"]


def test_password_reset_sends_an_email_only_to_known_addresses(client_for, db, mailoutbox):
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    client_for(None).post(reverse("account_reset_password"), {"email": user.email})
    client_for(None).post(reverse("account_reset_password"), {"email": "stranger@example.test"})
    assert [m.to for m in mailoutbox if "reset" in m.body.lower()][0] == [user.email]
    assert all("stranger@example.test" not in m.to for m in mailoutbox if "/password/reset/key/" in m.body)
