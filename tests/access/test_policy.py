"""The access policy, as a table: action × role × {own organisation, other organisation, member of both}.

For every action on a real object of the "own" side, the table says by hand which roles may take it when the
role is held in an organisation that owns the object. Then, for every role:

* **own**: the role held in the own side's organisation of its kind: allowed exactly when the table says;
* **other**: the same role held in the other side's organisation: always refused;
* **both, crossed**: the role held in the other side's organisation *and* a role the table does not allow held
  in the own side's organisation of the same kind (the probe's shape: a submitter of Camden who approves for
  Hackney): refused, because a role counts only where it is held;
* **both, same**: the role held in both sides' organisations: allowed when the table says.

``can`` and ``visible`` must agree on every cell, and the acting organisation is the one that owns the object.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pledge_portal import access
from pledge_portal.accounts.models import Membership
from pledge_portal.accounts.roles import ROLES_BY_KIND, Role
from pledge_portal.audit.models import AuditEvent

from ..conftest import Side
from ..factories import UserFactory

S, A = Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER
AU, AA = Role.AGENCY_USER, Role.AGENCY_ADMIN
MSP = Role.MSP_USER
AN, ST = Role.REGIONAL_ANALYST, Role.STEERING_MEMBER
MEMBER_ROLES = [r for r in Role.values if r != Role.PLATFORM_ADMIN]


@dataclass(frozen=True)
class Case:
    action: str
    obj: Callable[[Side], object]
    allowed: frozenset[str]


def _event(side: Side):
    return AuditEvent.objects.get(action="test.private_event", organisation=side.borough.organisation)


CASES = [
    Case("return.read", lambda s: s.ret, frozenset({S, A, AN, ST})),
    Case("return.read", lambda s: s.msp_ret, frozenset({MSP, AN, ST})),
    Case("return.edit", lambda s: s.ret, frozenset({S, A})),
    Case("return.edit", lambda s: s.msp_ret, frozenset({MSP})),
    Case("return.submit", lambda s: s.ret, frozenset({S, A})),
    Case("return.check", lambda s: s.ret, frozenset({S, A, AN})),
    Case("return.sign_off", lambda s: s.ret, frozenset({A})),
    Case("breach.sign_off", lambda s: s.ret, frozenset({A})),
    Case("return.review", lambda s: s.ret, frozenset({AN})),
    Case("unit.start_return", lambda s: s.ret.unit, frozenset({S, A})),
    Case("period.read", lambda s: s.ret.period, frozenset({AN, ST})),
    Case("period.extend", lambda s: s.ret.period, frozenset({AN})),
    Case("period.lock", lambda s: s.ret.period, frozenset({AN})),
    Case("leaver.read_matches", lambda s: s.ret.period, frozenset({AN})),
    Case("period.open", lambda s: s.region, frozenset({AN})),
    Case("pack.build", lambda s: s.ret.period, frozenset({AN})),
    Case("pack.download", lambda s: s.pack, frozenset({S, A, AN, ST})),
    Case("dfe.read", lambda s: s.ret.period, frozenset({S, A, AN, ST})),
    Case("dfe.download", lambda s: s.borough, frozenset({S, A, AN, ST})),
    Case("dfe.download", lambda s: s.msp_borough, frozenset({AN, ST})),
    Case("dfe.extract_build", lambda s: s.ret.period, frozenset({AN})),
    Case("dfe.extract_download", lambda s: s.dfe_extract, frozenset({AN, ST})),
    Case("reference.read", lambda s: s.reference, frozenset({S, A, AU, AA})),
    Case("reference.read_history", lambda s: s.reference, frozenset({S, A, AU, AA})),
    Case("reference_request.read", lambda s: s.open_request, frozenset({S, A, AU, AA})),
    Case("reference_request.answer", lambda s: s.open_request, frozenset({S, A})),
    Case("reference_request.cancel", lambda s: s.open_request, frozenset({AU, AA})),
    Case("reference_request.make", lambda s: s.agency, frozenset({AU, AA})),
    Case("rate_card.draft", lambda s: s.draft_card, frozenset({AN})),
    Case("region.draft_rate_card", lambda s: s.region, frozenset({AN})),
    Case("sign_off.read", lambda s: s.sign_off, frozenset({S, A, AN, ST})),
    Case("borough.sign_off_breach", lambda s: s.borough, frozenset({A})),
    Case("organisation.manage_members", lambda s: s.borough.organisation, frozenset({A})),
    Case("organisation.manage_members", lambda s: s.agency.organisation, frozenset({AA})),
    Case("organisation.manage_members", lambda s: s.region.organisation, frozenset({AN})),
    Case("dashboard.region", lambda s: s.region, frozenset({AN, ST})),
    Case("dashboard.borough", lambda s: s.borough, frozenset({S, A, AN, ST})),
    Case("dashboard.borough", lambda s: s.msp_borough, frozenset({MSP, AN, ST})),
    Case("dashboard.agency", lambda s: s.agency, frozenset({AU, AA})),
    Case("bidding_up.region", lambda s: s.region, frozenset({AN})),
    Case("bidding_up.set_threshold", lambda s: s.region, frozenset({AN})),
    Case("bidding_up.borough", lambda s: s.borough, frozenset({S, A})),
    Case("referee_contacts.read", lambda s: s.region, frozenset({AN})),
    Case("audit.read", _event, frozenset({AN})),
]


def _kind_of(role: str) -> str:
    return next(kind for kind, roles in ROLES_BY_KIND.items() if role in roles)


def _person(*held: tuple[str, object]):
    """A new user holding each (role, organisation)."""
    user = UserFactory()
    for role, organisation in held:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _crossed(role: str, allowed: frozenset[str]) -> str | None:
    """A role of the same kind of organisation as ``role`` that the case does not allow, if there is one."""
    return next((r for r in ROLES_BY_KIND[_kind_of(role)] if r not in allowed), None)


def _agree(user, case: Case, obj) -> bool:
    """``can`` for the object, checked against ``visible`` on its model."""
    allowed = access.can(user, case.action, obj)
    listed = access.visible(user, case.action, type(obj)._default_manager.all()).filter(pk=obj.pk).exists()
    assert allowed == listed, f"{case.action}: can says {allowed}, visible says {listed}"
    return allowed


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.action)
def test_action_by_role_in_own_other_and_both_organisations(case, walk_world):
    own, other = walk_world.own, walk_world.other
    obj = case.obj(own)
    for role in MEMBER_ROLES:
        own_org, other_org = own.organisation_for(role), other.organisation_for(role)
        expected = role in case.allowed
        assert _agree(_person((role, own_org)), case, obj) == expected, f"{case.action}: {role} of own"
        assert not _agree(_person((role, other_org)), case, obj), f"{case.action}: {role} of another"
        assert _agree(_person((role, own_org), (role, other_org)), case, obj) == expected, f"{role} of both"
        if expected and (weaker := _crossed(role, case.allowed)):
            crossed = _person((weaker, own_org), (role, other_org))
            assert not _agree(crossed, case, obj), f"{case.action}: {weaker} of own and {role} of another"
    assert _agree(walk_world.platform_admin, case, obj) == (
        access.ADMIN_EVERYWHERE in access.registry.get(case.action).grants
    )
    anonymous = type("Anonymous", (), {"is_authenticated": False, "is_active": False})()
    assert not access.can(anonymous, case.action, obj)


@pytest.mark.parametrize("case", [c for c in CASES if c.allowed], ids=lambda c: c.action)
def test_the_acting_organisation_is_the_one_that_owns_the_object(case, walk_world):
    own, other = walk_world.own, walk_world.other
    obj = case.obj(own)
    role = sorted(case.allowed)[0]
    user = _person((role, other.organisation_for(role)), (role, own.organisation_for(role)))
    assert access.acting_for(user, case.action, obj) == own.organisation_for(role)
    assert access.require(user, case.action, obj) == own.organisation_for(role)
    with pytest.raises(access.Refused):
        access.require(_person((role, other.organisation_for(role))), case.action, obj)


def test_every_declared_action_names_roles_or_is_open():
    """An action with no grant and no public/signed-in flag would be refused to everyone: a slip."""
    for name, action in access.registry.actions.items():
        assert action.grants or action.public or action.signed_in, name
        assert action.description, name


def test_an_undeclared_action_is_an_error_not_a_refusal(walk_world):
    with pytest.raises(LookupError, match="declare it"):
        access.can(walk_world.platform_admin, "return.nonexistent", walk_world.own.ret)


def test_people_to_tell_are_those_who_may_act_through_their_own_organisation(walk_world):
    own = walk_world.own
    told = set(access.people("return.review", own.ret))
    assert told == {own.users[AN]}  # not the steering member, not the other region's analyst, not admins
    assert set(access.people("reference_request.answer", own.open_request)) == {own.users[S], own.users[A]}
