"""The policy at the door of every page and API endpoint.

A view declares the action it performs: ``action_required = "return.sign_off"``. The page mixin and the
default DRF permission refuse a user who could not take that action on any object (anonymous visitors are
sent to sign in); the view then reaches its object only through ``visible`` for the same action, so an
object the user may not act on answers 404, exactly as if it did not exist. A view that declares nothing
is refused to everyone, so forgetting is safe.
"""

from collections.abc import Callable

from django.contrib.auth.mixins import AccessMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework.permissions import BasePermission

from .policy import can, registry

REFUSED_PAGE = "Your role does not give you access to this page."


def _declared(view) -> str | None:
    return getattr(view, "action_required", None)


class ActionRequiredMixin(AccessMixin):
    """Pages: enforce ``action_required``; ``get_visible_or_404`` fetches objects through the same action."""

    action_required: str | None = None

    def dispatch(self, request, *args, **kwargs):
        name = _declared(self)
        if name is None:
            raise PermissionDenied(REFUSED_PAGE)
        if not registry.get(name).public and not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can(request.user, name):
            raise PermissionDenied(REFUSED_PAGE)
        return super().dispatch(request, *args, **kwargs)


def get_visible_or_404(scope: Callable[..., QuerySet], user, **lookup) -> Model:
    """Fetch one object through a scoping selector (built on ``access.visible``): another tenant's object
    is simply not found."""
    return get_object_or_404(scope(user), **lookup)


class ScopedObjectMixin:
    """For Django's detail views: ``scope`` is the model's ``*_visible_to`` selector."""

    scope: Callable[..., QuerySet]

    def get_queryset(self):
        return type(self).scope(self.request.user)


class ActionPermission(BasePermission):
    """The default DRF permission: the API view's ``action_required`` decides, as for pages."""

    message = "Your role does not give you access to this endpoint."

    def has_permission(self, request, view) -> bool:
        name = _declared(view)
        return name is not None and can(request.user, name)

    def has_object_permission(self, request, view, obj) -> bool:
        name = _declared(view)
        return name is not None and can(request.user, name, obj)
