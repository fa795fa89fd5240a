"""Who sees a background job: the person who started it and their organisation's members (a job done for an
organisation, such as an audit export, belongs to it); platform admins every job."""

from django.db.models import Q

from pledge_portal.access import ADMIN_EVERYWHERE, SIGNED_IN, Action, Custom, declare, grant


def _own_q(user, organisation_ids: set[int]) -> Q:
    return Q(created_by=user) | Q(organisation_id__in=organisation_ids)


def _own(user, run, organisation_ids: set[int]) -> set[int] | bool:
    if run.organisation_id in organisation_ids:
        return {run.organisation_id}
    return run.created_by_id == user.pk


declare(
    Action(
        "job.read",
        "Follow a background job and download its file.",
        grants=(grant(SIGNED_IN, Custom(filter=_own_q, test=_own)), ADMIN_EVERYWHERE),
    ),
)
