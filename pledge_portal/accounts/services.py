"""Inviting, accepting and removing members: the only code that changes who belongs where."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from pledge_portal import access
from pledge_portal.audit import services as audit

from .models import Invitation, Membership, Organisation
from .roles import ADMIN_ROLE_BY_KIND


class MembershipError(Exception):
    """A refused change, with a message to show the user."""


@transaction.atomic
def invite_member(*, organisation: Organisation, email: str, role: str, by) -> tuple[Invitation, str]:
    """Invite ``email`` to ``organisation`` with ``role``, if ``by`` manages its members.
    Returns the invitation and the one-time token (only its hash is stored); the email goes after commit."""
    acting = access.require(by, "organisation.manage_members", organisation, error=MembershipError)
    email = email.strip().lower()
    if role not in organisation.roles:
        raise MembershipError(f"A {organisation.get_kind_display().lower()} has no such role.")
    if Membership.objects.filter(
        organisation=organisation, user__email__iexact=email, role=role, user__is_active=True
    ).exists():
        raise MembershipError(f"{email} already has this role in {organisation}.")
    # A fresh invitation replaces any pending one for the same address and role.
    organisation.invitations.pending().filter(email__iexact=email, role=role).update(revoked_at=timezone.now())
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        organisation=organisation,
        role=role,
        token_hash=Invitation.hash_token(token),
        invited_by=by,
        expires_at=Invitation.default_expiry(),
    )
    audit.record(
        by,
        "member.invited",
        invitation,
        organisation=acting,
        detail={"role": role, "organisation": organisation.slug},
    )
    from .tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk, token))
    return invitation, token


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user=None, full_name: str = "", password: str = ""):
    """Accept a pending invitation: as the signed-in ``user`` whose address it names, or by creating the
    account (``full_name``, ``password``). Returns the user, whose address is now verified."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise MembershipError(
            f"This invitation has been {invitation.status}. Ask your organisation's admin for a new one."
        )
    user_model = get_user_model()
    if user is None:
        if user_model.objects.filter(email__iexact=invitation.email).exists():
            raise MembershipError("An account with this email address already exists. Sign in to accept.")
        user = user_model.objects.create_user(email=invitation.email, password=password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise MembershipError(f"This invitation is for {invitation.email}. Sign out, then open the link again.")
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    Membership.objects.get_or_create(
        user=user,
        organisation=invitation.organisation,
        role=invitation.role,
        defaults={"invited_by": invitation.invited_by},
    )
    _mark_email_verified(user)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        user, "member.joined", invitation, organisation=invitation.organisation, detail={"role": invitation.role}
    )
    return user


@transaction.atomic
def revoke_invitation(*, invitation: Invitation, by) -> None:
    acting = access.require(by, "organisation.manage_members", invitation.organisation, error=MembershipError)
    if invitation.status != "pending":
        raise MembershipError(f"This invitation is already {invitation.status}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(by, "member.invitation_revoked", invitation, organisation=acting)


@transaction.atomic
def remove_member(*, membership: Membership, by) -> None:
    """Take a role away. The last admin of an organisation cannot be removed (ask a platform admin). A user
    left with no role anywhere is deactivated and their API token deleted, so they can no longer sign in."""
    organisation = membership.organisation
    acting = access.require(by, "organisation.manage_members", organisation, error=MembershipError)
    admin_role = ADMIN_ROLE_BY_KIND.get(organisation.kind)
    if membership.role == admin_role:
        admins = Membership.objects.select_for_update().filter(
            organisation=organisation, role=admin_role, user__is_active=True
        )
        if admins.count() <= 1:
            raise MembershipError(
                f"{membership.user} is the only {membership.get_role_display().lower()} of "
                f"{organisation}. Invite another before removing them."
            )
    user = membership.user
    membership.delete()
    if not user.is_superuser and not user.memberships.exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        Token.objects.filter(user=user).delete()
    audit.record(
        by,
        "member.removed",
        user,
        organisation=acting,
        detail={"role": membership.role, "organisation": organisation.slug},
    )


def rotate_api_token(*, user) -> str:
    """Replace the user's API token and return the new key, shown to them once."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record(user, "api_token.created", user)
    return token.key


def revoke_api_token(*, user) -> None:
    if Token.objects.filter(user=user).delete()[0]:
        audit.record(user, "api_token.revoked", user)


def _mark_email_verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def invitation_link(token: str) -> str:
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('accounts:invitation', args=[token])}"
