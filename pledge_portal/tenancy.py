"""The one mechanism that decides who may use a page or API endpoint, and which rows they see.

Two halves, used together by every view, API endpoint, export and task:

* **Roles** are declared on the view: ``required_roles = {Role.REGIONAL_ANALYST}``, or ``PUBLIC`` or
  ``SIGNED_IN``. ``RoleRequiredMixin`` (pages) and ``HasRequiredRole`` (the default DRF permission)
  enforce it: anonymous visitors are sent to sign in, signed-in users without the role get 403. A view
  that declares nothing is refused to everyone, so forgetting is safe.
* **Rows** come from each app's ``selectors.py``: one ``<things>_visible_to(user)`` function per model.
  Views fetch objects only through those querysets (``ScopedObjectMixin`` / ``get_visible_or_404``),
  so another tenant's object answers 404, exactly as if it did not exist.
"""

from collections.abc import Callable, Iterable

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.permissions import BasePermission

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user, whatever their role

Roles = frozenset[str] | str


def may_use(user, required: Roles | Iterable[str] | None) -> bool:
    """Whether ``user`` may use something that requires ``required``."""
    if required is None:
        return False
    if required == PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    if required == SIGNED_IN:
        return True
    return user.has_role(*required)


class RoleRequiredMixin(AccessMixin):
    """Enforce the view's ``required_roles``; anonymous visitors are redirected to sign in."""

    required_roles: Roles | None = None

    def dispatch(self, request, *args, **kwargs):
        if self.required_roles != PUBLIC and not request.user.is_authenticated:
            return self.handle_no_permission()
        if not may_use(request.user, self.required_roles):
            raise PermissionDenied("Your role does not give you access to this page.")
        return super().dispatch(request, *args, **kwargs)


class HasRequiredRole(BasePermission):
    """The default DRF permission: the API view's ``required_roles`` decide, as for pages."""

    message = "Your role does not give you access to this endpoint."

    def has_permission(self, request, view) -> bool:
        return may_use(request.user, getattr(view, "required_roles", None))


def get_visible_or_404(scope: Callable[..., QuerySet], user, **lookup) -> Model:
    """Fetch one object through a scoping selector: another tenant's object is simply not found."""
    return get_object_or_404(scope(user), **lookup)


class ScopedObjectMixin:
    """For detail views: ``scope`` is the model's ``*_visible_to`` selector."""

    scope: Callable[..., QuerySet]

    def get_queryset(self):
        return type(self).scope(self.request.user)
