"""The access policy: which actions exist, and who may take each one on which object.

An ``Action`` is declared once, in its app's ``permissions.py``, with the grants that allow it. A grant
names roles and where the object's owners are: a role counts only when it is held **in an organisation
that owns the object** (a return's boroughs, a rate card's region, a reference's issuing borough). So a
submitter of Camden who is an approver of Hackney may sign off Hackney's return but not Camden's.

Three questions, one answer each (see ``pledge_portal/access/__init__.py``):

* ``can(user, action, obj)``: may this user take this action on this object? Without an object: could
  they take it on some object (what menus, home-page cards and list pages ask)?
* ``visible(user, action, queryset)``: the rows of ``queryset`` on which they may take it.
* ``acting_for(user, action, obj)``: the organisation they act from when they do (the audit log's).

Role strings are compared here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import Model, Q, QuerySet

from pledge_portal.accounts.roles import Role

ALL = "all"  # owners of a grant that covers every object (the role counts wherever it is held)
SIGNED_IN = "signed_in"  # held by every signed-in user, in each of their organisations (for grants on one's own things)


class Owners(Protocol):
    """Where an object's owning organisations are. Implementations (``Path``, ``Custom``) answer for one object
    (``owned``) and as a filter on a queryset (``q``), so ``can`` and ``visible`` can never disagree."""

    def q(self, user, organisation_ids: set[int]) -> Q: ...

    def owned(self, user, obj, organisation_ids: set[int]) -> set[int] | bool:
        """The organisations among ``organisation_ids`` that own ``obj`` (the user's way in), or True when the
        object is the user's own rather than an organisation's (a job they started)."""
        ...


@dataclass(frozen=True)
class Path:
    """Owners reached by a Django lookup from the object to an ``Organisation`` (``"unit__boroughs__organisation"``).
    Walked in Python for one object (many-to-many steps use ``.all()``, so prefetching keeps it query-free)
    and used as ``<path>__in`` for querysets."""

    lookup: str

    def q(self, user, organisation_ids: set[int]) -> Q:
        return Q(**{f"{self.lookup}__in": organisation_ids})

    def owned(self, user, obj, organisation_ids: set[int]) -> set[int]:
        return _walk(obj, self.lookup.split("__")) & organisation_ids


def _walk(obj, steps: list[str]) -> set[int]:
    """The ids at the end of ``steps`` from ``obj``; the last step reads ``<name>_id`` to avoid a query."""
    if obj is None:
        return set()
    name, rest = steps[0], steps[1:]
    if not rest and hasattr(obj, f"{name}_id"):
        value = getattr(obj, f"{name}_id")
        return {value} if value is not None else set()
    value = getattr(obj, name, None)
    if value is None:
        return set()
    if hasattr(value, "all") and callable(value.all):  # a related manager
        found: set[int] = set()
        for item in value.all():
            found |= _walk(item, rest) if rest else {item.pk}
        return found
    if not rest:
        return {value.pk if isinstance(value, Model) else value}
    return _walk(value, rest)


@dataclass(frozen=True)
class Custom:
    """Owners that no single lookup describes (boroughs a candidate is proposed to, a job's starter)."""

    filter: Callable[[object, set[int]], Q]
    test: Callable[[object, object, set[int]], set[int] | bool]

    def q(self, user, organisation_ids: set[int]) -> Q:
        return self.filter(user, organisation_ids)

    def owned(self, user, obj, organisation_ids: set[int]) -> set[int] | bool:
        return self.test(user, obj, organisation_ids)


@dataclass(frozen=True)
class Grant:
    """``roles`` allow the action on objects whose ``owners`` include an organisation where the role is held.
    ``owners=ALL``: the role allows it on every object, wherever it is held (platform admins; regional roles
    reading the agency register, which spans regions)."""

    roles: frozenset[str]
    owners: Owners | str


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    grants: tuple[Grant, ...] = ()
    public: bool = False  # anyone, signed in or not
    signed_in: bool = False  # any signed-in user, whatever their roles
    refusal: str = "You cannot do this."

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r for g in self.grants for r in g.roles)


def grant(roles: Iterable[str] | str, owners: Owners | str) -> Grant:
    """``grant({Role.BOROUGH_APPROVER}, "unit__boroughs__organisation")``: a lookup string is a ``Path``."""
    roles = frozenset([roles] if isinstance(roles, str) else roles)
    return Grant(roles, Path(owners) if isinstance(owners, str) and owners != ALL else owners)


ADMIN_EVERYWHERE = Grant(frozenset({Role.PLATFORM_ADMIN}), ALL)


@dataclass
class Registry:
    actions: dict[str, Action] = field(default_factory=dict)

    def declare(self, *actions: Action) -> None:
        for action in actions:
            if action.name in self.actions and self.actions[action.name] != action:
                raise ValueError(f"Access action {action.name!r} is declared twice.")
            self.actions[action.name] = action

    def get(self, name: str) -> Action:
        try:
            return self.actions[name]
        except KeyError:
            raise LookupError(f"No access action {name!r}: declare it in its app's permissions.py.") from None


registry = Registry()


def declare(*actions: Action) -> None:
    registry.declare(*actions)


# --- What a user holds --------------------------------------------------------------------------------


def held(user) -> dict[str, set[int]]:
    """Organisation ids per role the user holds (platform admin: an empty set, held everywhere). Cached on the
    user object, which lives for one request."""
    cached = getattr(user, "_access_held", None)
    if cached is not None:
        return cached
    roles: dict[str, set[int]] = {}
    if user.is_authenticated and user.is_active:
        for m in user.active_memberships:
            roles.setdefault(m.role, set()).add(m.organisation_id)
        if user.is_superuser:
            roles.setdefault(Role.PLATFORM_ADMIN, set())
        roles[SIGNED_IN] = {m.organisation_id for m in user.active_memberships}
    user._access_held = roles
    return roles


def _grant_orgs(user, g: Grant) -> tuple[bool, set[int]]:
    """(whether any of the grant's roles is held, the organisations where they are)."""
    roles = held(user)
    present = [roles[r] for r in g.roles if r in roles]
    return bool(present), set().union(*present) if present else set()


def _allowed_without_object(user, action: Action) -> bool:
    if action.public:
        return True
    if not user.is_authenticated:
        return False
    if action.signed_in:
        return True
    return any(_grant_orgs(user, g)[0] for g in action.grants)


def can(user, name: str, obj: Model | None = None) -> bool:
    """May ``user`` take action ``name`` on ``obj``? Without ``obj``: on some object."""
    action = registry.get(name)
    if obj is None or action.public or action.signed_in:
        return _allowed_without_object(user, action)
    return _way_in(user, action, obj) is not None


def _way_in(user, action: Action, obj) -> tuple[Grant, set[int] | bool] | None:
    """The first grant that allows the action on ``obj``, with the user's organisations that it goes through."""
    if not user.is_authenticated:
        return None
    for g in action.grants:
        holds, orgs = _grant_orgs(user, g)
        if not holds:
            continue
        if g.owners == ALL:
            return g, orgs
        if through := g.owners.owned(user, obj, orgs):
            return g, through
    return None


def acting_for(user, name: str, obj: Model | None = None):
    """The organisation ``user`` acts from when taking ``name`` on ``obj``: the one of theirs that owns it
    (the lowest id if several do, so the answer is stable). None for platform admins acting as such, and
    when the user may not take the action at all."""
    action = registry.get(name)
    if obj is None:
        ids = set().union(*(_grant_orgs(user, g)[1] for g in action.grants)) if user.is_authenticated else set()
    else:
        found = _way_in(user, action, obj)
        ids = found[1] if found and found[1] is not True else set()
    by_id = {m.organisation_id: m.organisation for m in user.active_memberships}
    ids = [i for i in ids if i in by_id]
    return by_id[min(ids)] if ids else None


class Refused(Exception):
    """The policy refused; the message says why, for the user."""


def require(user, name: str, obj: Model | None = None, *, error: type[Exception] = Refused):
    """``acting_for`` if the user may take the action, else raise ``error`` with the action's refusal.
    Services call this first, with their own domain error class, so the page or API says why."""
    action = registry.get(name)
    if not can(user, name, obj):
        raise error(action.refusal.format(obj=obj) if obj is not None else action.refusal.replace(" {obj}", ""))
    return acting_for(user, name, obj)


def visible(user, name: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` on which ``user`` may take ``name``: one filter, never duplicated rows."""
    action = registry.get(name)
    if action.public or (action.signed_in and user.is_authenticated):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    q = None
    for g in action.grants:
        holds, orgs = _grant_orgs(user, g)
        if not holds:
            continue
        if g.owners == ALL:
            return queryset
        q = g.owners.q(user, orgs) if q is None else q | g.owners.q(user, orgs)
    if q is None:
        return queryset.none()
    model = queryset.model
    # A subquery on ids keeps joins through many-to-many owners from repeating rows or breaking ordering.
    return queryset.filter(pk__in=model._default_manager.filter(q).values("pk"))


def organisations_for(user, name: str) -> set[int]:
    """Every organisation through which ``user`` may take ``name`` somewhere (empty for platform admins)."""
    action = registry.get(name)
    return set().union(*(_grant_orgs(user, g)[1] for g in action.grants)) if user.is_authenticated else set()


def everywhere(user, name: str) -> bool:
    """Whether a grant lets ``user`` take ``name`` on every object (platform admins, register readers)."""
    action = registry.get(name)
    return user.is_authenticated and any(g.owners == ALL and _grant_orgs(user, g)[0] for g in action.grants)


def primary_role(user) -> str | None:
    """The role whose home page the user sees: the most senior one they hold anywhere."""
    from .roles import SENIORITY

    roles = held(user) if user.is_authenticated else {}
    return next((r for r in SENIORITY if r in roles), None)


def own(user, name: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` (organisation-backed: boroughs, agencies, regions) that are the user's own
    organisations through which they may take ``name``; not everything a platform admin may reach."""
    return queryset.filter(organisation_id__in=organisations_for(user, name))


def people(name: str, obj: Model):
    """Active users who may take ``name`` on ``obj`` through an organisation that owns it: who to tell when
    it waits for them (analysts of the region, a borough's users). Grants that cover everything (platform
    admins) and owners with no single lookup are left out: nobody is emailed for being allowed everywhere."""
    from django.contrib.auth import get_user_model

    q = Q(pk__in=[])
    for g in registry.get(name).grants:
        if isinstance(g.owners, Path):
            organisations = _walk(obj, g.owners.lookup.split("__"))
            q |= Q(memberships__role__in=g.roles - {SIGNED_IN}, memberships__organisation_id__in=organisations)
    return get_user_model().objects.filter(q, is_active=True, memberships__organisation__is_active=True).distinct()
