"""Who may do what, asked one way: ``can(user, action, obj)``.

Each app declares its actions once, in its own ``permissions.py`` (loaded when Django starts). Views declare
``action_required`` (``ActionRequiredMixin`` for pages, ``ActionPermission`` for the API, which is DRF's
default); services call ``require`` with their own error class; lists come from ``visible``; menus, home
cards and templates (``{% can "return.sign_off" ret as may_sign %}``) ask ``can``. See
``docs/decisions/0005-one-access-policy.md``.
"""

from .policy import (
    ADMIN_EVERYWHERE,
    ALL,
    SIGNED_IN,
    Action,
    Custom,
    Grant,
    Path,
    Refused,
    acting_for,
    can,
    declare,
    everywhere,
    grant,
    organisations_for,
    own,
    people,
    primary_role,
    registry,
    require,
    visible,
)

__all__ = [
    "ADMIN_EVERYWHERE",
    "ALL",
    "Action",
    "Custom",
    "Grant",
    "Path",
    "Refused",
    "SIGNED_IN",
    "acting_for",
    "can",
    "declare",
    "everywhere",
    "grant",
    "organisations_for",
    "own",
    "people",
    "primary_role",
    "registry",
    "require",
    "visible",
]
