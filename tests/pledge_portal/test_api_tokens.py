"""API tokens: only a hash is kept, they expire, their owner and their organisation's admins revoke them, and
they never outlive the sign-in rules they were made under (roles, two-factor, an account switched off)."""

import hashlib
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts import services
from pledge_portal.accounts.models import ApiToken, Membership
from pledge_portal.accounts.roles import Role
from tests.factories import AgencyFactory, RegionFactory, user_with_role

JOBS = reverse("api-job-detail", args=["00000000-0000-0000-0000-000000000000"])


def _call(client_for, key: str):
    """An API call with the key: 404 means authenticated (the job is simply not there), 401 refused."""
    return client_for(None).get(JOBS, HTTP_AUTHORIZATION=f"Token {key}")


@pytest.fixture
def agency(db):
    return AgencyFactory(name="Acme Locums Ltd")


@pytest.fixture
def agency_user(agency):
    return user_with_role(Role.AGENCY_USER, agency.organisation)


def test_only_a_hash_of_the_key_is_kept(agency_user, client_for):
    key = services.create_api_token(user=agency_user)
    token = ApiToken.objects.get(user=agency_user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and len(token.hint) < len(key) // 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    assert _call(client_for, key).status_code == 404
    assert _call(client_for, key[:-1] + ("A" if key[-1] != "A" else "B")).status_code == 401


def test_a_token_expires(agency_user, client_for, settings):
    settings.API_TOKEN_DAYS = 30
    key = services.create_api_token(user=agency_user)
    token = ApiToken.objects.get(user=agency_user)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _call(client_for, key)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    page = client_for(agency_user).get(reverse("accounts:account")).content.decode()
    assert "Expired on" in page and "Create an API token" in page


def test_replacing_a_token_stops_the_old_one(agency_user, client_for):
    old = services.create_api_token(user=agency_user)
    new = services.create_api_token(user=agency_user)
    assert _call(client_for, old).status_code == 401 and _call(client_for, new).status_code == 404


def test_an_organisation_admin_revokes_a_members_token_from_the_members_page(agency, agency_user, client_for):
    boss = user_with_role(Role.AGENCY_ADMIN, agency.organisation)
    key = services.create_api_token(user=agency_user)
    membership = agency_user.memberships.get()
    members = reverse("accounts:members", args=[agency.organisation.slug])
    revoke = reverse("accounts:member-token-revoke", args=[agency.organisation.slug, membership.pk])
    assert revoke in client_for(boss).get(members).content.decode()

    stranger = user_with_role(Role.AGENCY_ADMIN, AgencyFactory().organisation)
    assert client_for(stranger).post(revoke).status_code == 404  # another organisation's member
    assert client_for(agency_user).post(revoke).status_code == 403  # not an admin
    assert _call(client_for, key).status_code == 404

    assert client_for(boss).post(revoke).status_code == 302
    assert _call(client_for, key).status_code == 401
    token = ApiToken.objects.get(user=agency_user)
    assert "administrator of Acme Locums Ltd" in token.revoked_reason
    account_page = client_for(agency_user).get(reverse("accounts:account")).content.decode()
    assert "administrator of Acme Locums Ltd" in account_page


def test_the_owner_revokes_their_own_token(agency_user, client_for):
    key = services.create_api_token(user=agency_user)
    client_for(agency_user).post(reverse("accounts:api-token"), {"action": "revoke"})
    assert _call(client_for, key).status_code == 401


def test_a_token_made_before_a_two_factor_role_stops_when_the_role_is_added(agency_user, client_for):
    """The issue's case: a token made without a two-factor role kept working after the user became a regional
    analyst, though two-factor was never set up."""
    key = services.create_api_token(user=agency_user)
    Membership.objects.create(user=agency_user, organisation=RegionFactory().organisation, role=Role.REGIONAL_ANALYST)
    response = _call(client_for, key)
    assert response.status_code == 401
    assert ApiToken.objects.get(user=agency_user).revoked_reason == "Your roles changed."


def test_a_two_factor_role_needs_two_factor_for_its_token_to_work(client_for, db):
    """Even a token that was never revoked (say, made before this rule) works only while two-factor is set up."""
    analyst = user_with_role(Role.REGIONAL_ANALYST, RegionFactory().organisation, totp=False)
    key = ApiToken.new_key()
    ApiToken.objects.create(
        user=analyst, key_hash=ApiToken.hash_key(key), hint=key[:8], expires_at=ApiToken.default_expiry()
    )
    response = _call(client_for, key)
    assert response.status_code == 401 and "two-factor" in response.json()["detail"]
    with pytest.raises(services.MembershipError, match="two-factor"):
        services.create_api_token(user=analyst)


def test_turning_two_factor_off_revokes_the_token(client_for, db):
    analyst = user_with_role(Role.REGIONAL_ANALYST, RegionFactory().organisation)
    key = services.create_api_token(user=analyst)
    assert _call(client_for, key).status_code == 404
    Authenticator.objects.get(user=analyst, type=Authenticator.Type.TOTP).delete()
    assert _call(client_for, key).status_code == 401
    assert ApiToken.objects.get(user=analyst).revoked_reason == "Two-factor sign-in was turned off."


def test_removing_a_role_or_switching_the_account_off_revokes_the_token(agency, agency_user, client_for):
    boss = user_with_role(Role.AGENCY_ADMIN, agency.organisation)
    key = services.create_api_token(user=agency_user)
    services.remove_member(membership=agency_user.memberships.get(), by=boss)
    assert _call(client_for, key).status_code == 401

    other = user_with_role(Role.AGENCY_USER, agency.organisation)
    key = services.create_api_token(user=other)
    other.is_active = False
    other.save()
    assert _call(client_for, key).status_code == 401
    assert ApiToken.objects.get(user=other).revoked_reason == "The account was switched off."


def test_anonymous_api_calls_are_challenged_with_401(client_for, db):
    response = client_for(None).get(reverse("api-returns"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert response.json()["detail"]
    malformed = client_for(None).get(reverse("api-returns"), HTTP_AUTHORIZATION="Token")
    assert malformed.status_code == 401


def test_no_admin_lists_api_tokens():
    labels = {model._meta.label for model in admin.site._registry}
    assert not labels & {"authtoken.Token", "authtoken.TokenProxy", "accounts.ApiToken"}
