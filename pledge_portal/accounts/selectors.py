"""Reading organisations, members and invitations, already scoped to what the user may see."""

from django.db.models import QuerySet

from pledge_portal import access

from .models import Invitation, Membership, Organisation


def organisations_managed_by(user) -> QuerySet[Organisation]:
    """Organisations whose users ``user`` may invite and remove: platform admins manage all; an
    organisation's admin role (agency admin, borough approver, regional analyst) manages their own."""
    return access.visible(user, "organisation.manage_members", Organisation.objects.filter(is_active=True))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Memberships of one organisation; callers reach the organisation through a scoped selector first."""
    return organisation.memberships.select_related("user", "invited_by").order_by("user__email", "role")


def pending_invitations_for(organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.pending().select_related("invited_by")


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, if the token is genuine (whatever its state)."""
    return Invitation.objects.select_related("organisation").filter(token_hash=Invitation.hash_token(token)).first()
