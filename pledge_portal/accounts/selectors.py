"""Reading organisations, members and invitations, already scoped to what the user may see."""

from django.db.models import OuterRef, QuerySet, Subquery

from pledge_portal import access

from .models import ApiToken, Invitation, Membership, Organisation


def organisations_managed_by(user) -> QuerySet[Organisation]:
    """Organisations whose users ``user`` may invite and remove: platform admins manage all; an
    organisation's admin role (agency admin, borough approver, regional analyst) manages their own."""
    return access.visible(user, "organisation.manage_members", Organisation.objects.filter(is_active=True))


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    """Memberships of one organisation; callers reach the organisation through a scoped selector first. Each
    carries ``api_token_expires``: when the member's working API token expires (None: they have none)."""
    token = ApiToken.objects.active().filter(user=OuterRef("user")).values("expires_at")[:1]
    return (
        organisation.memberships.select_related("user", "invited_by")
        .annotate(api_token_expires=Subquery(token))
        .order_by("user__email", "role")
    )


def pending_invitations_for(organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.pending().select_related("invited_by")


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link's token opens, if the token is genuine (whatever its state)."""
    return Invitation.objects.select_related("organisation").filter(token_hash=Invitation.hash_token(token)).first()


def latest_api_token(user) -> ApiToken | None:
    """The user's newest API token, working or not (their account page says why one stopped); own use only."""
    return ApiToken.objects.filter(user=user).first()
