"""Inviting, accepting and removing members: the only code that changes who belongs where."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pledge_portal import access
from pledge_portal.audit import services as audit

from .models import ApiToken, Invitation, Membership, Organisation
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
    left with no role anywhere is deactivated, so they can no longer sign in. Either way their API token is
    revoked (``pledge_portal.accounts.signals``): a change of roles needs a new one."""
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
    audit.record(
        by,
        "member.removed",
        user,
        organisation=acting,
        detail={"role": membership.role, "organisation": organisation.slug},
    )


@transaction.atomic
def create_api_token(*, user) -> str:
    """Give the signed-in ``user`` a new API token, replacing any they had, and return its key: shown to them
    once, as only its hash is kept. Refused while their roles need two-factor sign-in and it is not set up."""
    if user.needs_two_factor and not user.has_two_factor:
        raise MembershipError("Your role needs two-factor sign-in. Set it up before creating an API token.")
    _revoke_api_tokens(user, reason="Replaced by a new token.", by=user)
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash_key(key), hint=key[:8], expires_at=ApiToken.default_expiry()
    )
    audit.record(user, "api_token.created", user, detail={"hint": token.hint, "expires": token.expires_at.isoformat()})
    return key


@transaction.atomic
def revoke_api_token(*, user) -> bool:
    """The signed-in ``user`` revokes their own API token. Returns whether there was one."""
    return _revoke_api_tokens(user, reason="Revoked by its owner.", by=user) > 0


@transaction.atomic
def revoke_member_api_token(*, membership: Membership, by) -> bool:
    """An admin of ``membership``'s organisation revokes that member's API token (it acts for the member in
    every organisation they belong to, so any of them may stop it). Returns whether there was one."""
    acting = access.require(by, "organisation.manage_members", membership.organisation, error=MembershipError)
    reason = f"Revoked by an administrator of {membership.organisation}."
    return _revoke_api_tokens(membership.user, reason=reason, by=by, organisation=acting) > 0


def revoke_api_tokens_after_change(*, user, reason: str) -> int:
    """Revoke ``user``'s API tokens because the rules they were made under changed (roles, two-factor, the
    account switched off). Called by ``pledge_portal.accounts.signals``, whoever made the change."""
    return _revoke_api_tokens(user, reason=reason, by=None)


def _revoke_api_tokens(user, *, reason: str, by, organisation=None) -> int:
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    hints = list(live.values_list("hint", flat=True))
    if hints:
        live.update(revoked_at=timezone.now(), revoked_reason=reason[:200])
        detail = {"reason": reason, "hints": hints}
        audit.record(by, "api_token.revoked", user, organisation=organisation, detail=detail)
    return len(hints)


def _mark_email_verified(user) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def invitation_link(token: str) -> str:
    from django.urls import reverse

    return f"{settings.SITE_URL}{reverse('accounts:invitation', args=[token])}"
