"""Signing in: email and password, two-factor for the roles that need it, and limits on guessing."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from tests.factories import PASSWORD, AgencyFactory, BoroughFactory, RegionFactory, totp_secret, user_with_role


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()  # allauth keeps its counters in the cache
    yield
    cache.clear()


def _sign_in(client, email, password=PASSWORD, *, address="127.0.0.1", forwarded_for=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address, **headers)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


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


def test_repeated_failed_sign_ins_from_one_address_are_refused_there_even_with_the_right_password(client_for, db):
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    client = client_for(None)
    for _ in range(5):
        assert _sign_in(client, user.email, "wrong-password").status_code == 200
    blocked = _sign_in(client, user.email)
    assert blocked.status_code in (200, 429)
    assert not _signed_in(client)
    assert "Too many failed login attempts" in blocked.content.decode()


def test_an_attackers_failures_do_not_stop_the_owner_signing_in_from_another_address(client_for, db):
    """Five failures used to lock the account for everyone: anyone who knew an address could keep its owner
    out on deadline day."""
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    attacker = client_for(None)
    for _ in range(6):
        _sign_in(attacker, user.email, "guess", address="203.0.113.66")
    _sign_in(attacker, user.email, address="203.0.113.66")
    assert not _signed_in(attacker)  # stopped at the attacker's address, right password or not
    owner = client_for(None)
    assert _sign_in(owner, user.email, address="198.51.100.7").status_code == 302
    assert _signed_in(owner)


def test_repeated_failures_from_anywhere_are_emailed_to_the_owner_once(client_for, db, mailoutbox, settings):
    settings.SIGN_IN_FAILURES_ALERT = 10
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        for _ in range(4):
            _sign_in(client_for(None), user.email, "guess", address=address)
    told = [m for m in mailoutbox if m.to == [user.email]]
    assert len(told) == 1
    assert "wrong password 10 times" in told[0].body and "not locked" in told[0].body
    assert AuditEvent.objects.filter(action="account.failed_sign_ins", target_id=str(user.pk)).exists()
    _sign_in(client_for(None), user.email, "guess", address="203.0.113.9")
    assert len([m for m in mailoutbox if m.to == [user.email]]) == 1  # once an hour, not once a failure


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_forwarded_for_does_not_reset_the_sign_in_limit(proxies, client_for, db, settings):
    """Behind ``TRUSTED_PROXY_COUNT`` proxies, the client's address is the one the outermost trusted proxy saw;
    what the client writes in X-Forwarded-For itself changes nothing."""
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    user = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    proxy = "10.0.0.2"

    def attempt(password, seen_as, forged):
        client = client_for(None)
        if proxies:
            _sign_in(client, user.email, password, address=proxy, forwarded_for=f"{forged}, {seen_as}")
        else:
            _sign_in(client, user.email, password, address=seen_as, forwarded_for=forged)
        return _signed_in(client)

    for n in range(5):
        assert not attempt("guess", "203.0.113.66", forged=f"192.0.2.{n}")
    assert not attempt(PASSWORD, "203.0.113.66", forged="192.0.2.200")
    assert attempt(PASSWORD, "198.51.100.7", forged="203.0.113.66")


def test_a_forged_forwarded_for_does_not_reset_the_rate_check_throttle(client_for, db, settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT == 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "rates_anon": "3/min"},
    }
    client = client_for(None)
    statuses = [
        client.post(reverse("api-rates-check"), {}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(4)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:-1]


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
