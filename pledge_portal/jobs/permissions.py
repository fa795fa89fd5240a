"""Who sees a background job and downloads its file: whoever started it, and the members of the job's
organisation who may take the action it was started under (an audit export, made under ``audit.read``, is
for the region's analysts, not its steering members, whom the audit log refuses); platform admins every job."""

from collections import defaultdict

from django.db.models import Q

from pledge_portal.access import (
    ADMIN_EVERYWHERE,
    SIGNED_IN,
    Action,
    Custom,
    declare,
    grant,
    organisations_for,
    registry,
)


def _organisations_by_action(user) -> dict[frozenset[int], list[str]]:
    """The user's organisations in which they hold a role that an action grants, grouped: for each set of
    organisations, the actions whose roles they hold in exactly those."""
    grouped: dict[frozenset[int], list[str]] = defaultdict(list)
    for name in registry.actions:
        if organisations := frozenset(organisations_for(user, name)):
            grouped[organisations].append(name)
    return grouped


def _visible_q(user, organisation_ids: set[int]) -> Q:
    q = Q(created_by=user)
    for organisations, actions in _organisations_by_action(user).items():
        q |= Q(organisation_id__in=organisations, action__in=actions)
    return q


def _reachable(user, run, organisation_ids: set[int]) -> set[int] | bool:
    if run.action and run.organisation_id in organisations_for(user, run.action):
        return {run.organisation_id}
    return run.created_by_id == user.pk


declare(
    Action(
        "job.read",
        "Follow a background job and download its file.",
        grants=(grant(SIGNED_IN, Custom(filter=_visible_q, test=_reachable)), ADMIN_EVERYWHERE),
    ),
)
