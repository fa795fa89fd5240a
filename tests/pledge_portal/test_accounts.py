"""Invitations, joining, removing members and API tokens."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from pledge_portal.accounts import services
from pledge_portal.accounts.models import Invitation, Membership, User
from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from tests.factories import PASSWORD, AgencyFactory, user_with_role


def _link_from(message) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)


@pytest.fixture
def agency_admin(db):
    agency = AgencyFactory(name="Acme Locums Ltd")
    return user_with_role(Role.AGENCY_ADMIN, agency.organisation, email="boss@acme.test")


def test_admin_invites_a_colleague_who_joins_and_lands_on_their_home_page(
    agency_admin, client_for, django_capture_on_commit_callbacks
):
    org = agency_admin.organisations[0]
    client = client_for(agency_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:members", args=[org.slug]), {"email": "New.Person@Acme.test", "role": Role.AGENCY_USER}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@acme.test"]
    assert AuditEvent.objects.filter(action="member.invited", actor=agency_admin, organisation=org).exists()

    link = _link_from(mail.outbox[0]).split("://", 1)[1].split("/", 1)[1]
    visitor = client_for(None)
    page = visitor.get("/" + link)
    assert page.status_code == 200 and b"Join as agency user" in page.content
    joined = visitor.post("/" + link, {"full_name": "New Person", "password1": PASSWORD, "password2": PASSWORD})
    assert joined.status_code == 302 and joined["Location"] == reverse("home")

    user = User.objects.get(email="new.person@acme.test")
    assert user.roles == {Role.AGENCY_USER}
    assert visitor.get(reverse("home")).context["heading"] == "Your agency on the London Pledge"
    # The link works once.
    assert visitor.get("/" + link).status_code == 410


def test_invitation_form_errors_are_summarised_and_nothing_is_sent(agency_admin, client_for):
    org = agency_admin.organisations[0]
    response = client_for(agency_admin).post(
        reverse("accounts:members", args=[org.slug]), {"email": "not-an-email", "role": Role.BOROUGH_APPROVER}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#id_email"' in body and 'href="#id_role_0"' in body
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_weak_or_mismatched_passwords_are_refused_when_joining(agency_admin, client_for):
    _, token = services.invite_member(
        organisation=agency_admin.organisations[0], email="x@acme.test", role=Role.AGENCY_USER, by=agency_admin
    )
    url = reverse("accounts:invitation", args=[token])
    response = client_for(None).post(url, {"full_name": "X", "password1": "password", "password2": "other"})
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    assert not User.objects.filter(email="x@acme.test").exists()


def test_an_existing_user_accepts_while_signed_in(agency_admin, client_for):
    other_agency = AgencyFactory()
    existing = user_with_role(Role.AGENCY_USER, other_agency.organisation, email="both@acme.test")
    _, token = services.invite_member(
        organisation=agency_admin.organisations[0], email="both@acme.test", role=Role.AGENCY_USER, by=agency_admin
    )
    url = reverse("accounts:invitation", args=[token])
    anonymous = client_for(None).post(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    assert client_for(existing).post(url).status_code == 302
    assert set(existing.memberships.values_list("organisation", flat=True)) == {
        other_agency.organisation.pk,
        agency_admin.organisations[0].pk,
    }


def test_someone_else_cannot_accept_an_invitation(agency_admin, client_for):
    _, token = services.invite_member(
        organisation=agency_admin.organisations[0], email="target@acme.test", role=Role.AGENCY_ADMIN, by=agency_admin
    )
    User.objects.create_user(email="target@acme.test", password=PASSWORD)
    intruder = user_with_role(Role.AGENCY_USER, AgencyFactory().organisation)
    response = client_for(intruder).post(reverse("accounts:invitation", args=[token]))
    assert response.status_code == 400
    assert not Membership.objects.filter(role=Role.AGENCY_ADMIN, user=intruder).exists()


def test_unknown_and_revoked_invitations(agency_admin, client_for):
    assert client_for(None).get(reverse("accounts:invitation", args=["made-up"])).status_code == 404
    invitation, token = services.invite_member(
        organisation=agency_admin.organisations[0], email="a@acme.test", role=Role.AGENCY_USER, by=agency_admin
    )
    client_for(agency_admin).post(
        reverse("accounts:invitation-revoke", args=[invitation.organisation.slug, invitation.pk])
    )
    response = client_for(None).post(
        reverse("accounts:invitation", args=[token]), {"full_name": "A", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="a@acme.test").exists()


def test_inviting_again_replaces_the_pending_invitation(agency_admin):
    org = agency_admin.organisations[0]
    first, _ = services.invite_member(organisation=org, email="a@acme.test", role=Role.AGENCY_USER, by=agency_admin)
    services.invite_member(organisation=org, email="a@acme.test", role=Role.AGENCY_USER, by=agency_admin)
    first.refresh_from_db()
    assert first.status == "revoked"
    assert org.invitations.pending().count() == 1


def test_a_role_the_organisation_does_not_have_is_refused(agency_admin):
    with pytest.raises(services.MembershipError):
        services.invite_member(
            organisation=agency_admin.organisations[0], email="a@acme.test", role=Role.BOROUGH_APPROVER, by=agency_admin
        )


def test_removing_a_member_switches_off_an_account_with_no_other_role(agency_admin, client_for):
    org = agency_admin.organisations[0]
    leaver = user_with_role(Role.AGENCY_USER, org)
    membership = leaver.memberships.get()
    response = client_for(agency_admin).post(reverse("accounts:member-remove", args=[org.slug, membership.pk]))
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert AuditEvent.objects.filter(action="member.removed", target_id=str(leaver.pk)).exists()
    assert not client_for(None).login(email=leaver.email, password=PASSWORD)


def test_the_last_admin_cannot_be_removed(agency_admin, client_for):
    org = agency_admin.organisations[0]
    membership = agency_admin.memberships.get()
    response = client_for(agency_admin).post(
        reverse("accounts:member-remove", args=[org.slug, membership.pk]), follow=True
    )
    assert "only agency admin" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_api_token_is_shown_once_and_authenticates(agency_admin, client_for):
    client = client_for(agency_admin)
    client.post(reverse("accounts:api-token"), {"action": "create"})
    page = client.get(reverse("accounts:account")).content.decode()
    key = re.search(r'id="api-token">(lp_[\w-]{43})<', page).group(1)
    assert key not in client.get(reverse("accounts:account")).content.decode()
    api = client_for(None)
    response = api.get(
        reverse("api-job-detail", args=["00000000-0000-0000-0000-000000000000"]), HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 404  # authenticated, and the job simply is not there
    assert api.get(reverse("api-job-detail", args=["00000000-0000-0000-0000-000000000000"])).status_code == 401
    client.post(reverse("accounts:api-token"), {"action": "revoke"})
    revoked = api.get(
        reverse("api-job-detail", args=["00000000-0000-0000-0000-000000000000"]), HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert revoked.status_code == 401


def test_self_sign_up_is_closed(client_for, db):
    response = client_for(None).post(
        reverse("account_signup"), {"email": "me@example.test", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert "Accounts are by invitation" in response.content.decode()
    assert not User.objects.filter(email="me@example.test").exists()
