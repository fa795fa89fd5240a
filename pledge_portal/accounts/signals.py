"""An API token must not outlive the sign-in rules it was made under: whoever changes a user's roles (the
members page, an invitation accepted, the Django admin), turns off their two-factor sign-in or switches their
account off, the user's API tokens are revoked. Receivers, so that no way of making the change is missed."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Membership


def _revoke(user, reason: str) -> None:
    from .services import revoke_api_tokens_after_change

    revoke_api_tokens_after_change(user=user, reason=reason)


@receiver(post_save, sender=Membership, dispatch_uid="api_tokens_role_added")
def role_added_or_changed(sender, instance: Membership, raw=False, **kwargs) -> None:
    if not raw:
        _revoke(instance.user, "Your roles changed.")


@receiver(post_delete, sender=Membership, dispatch_uid="api_tokens_role_removed")
def role_removed(sender, instance: Membership, **kwargs) -> None:
    _revoke(instance.user, "Your roles changed.")


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="api_tokens_account_off")
def account_switched_off(sender, instance, raw=False, **kwargs) -> None:
    if not raw and not instance.is_active:
        _revoke(instance, "The account was switched off.")


@receiver(post_delete, sender=Authenticator, dispatch_uid="api_tokens_two_factor_off")
def two_factor_removed(sender, instance: Authenticator, **kwargs) -> None:
    """The user turned their authenticator app off (or an admin deleted it)."""
    if instance.type == Authenticator.Type.TOTP:
        _revoke(instance.user, "Two-factor sign-in was turned off.")
