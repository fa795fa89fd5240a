"""allauth adapters: the portal has no self-sign-up (people join by invitation only), failed sign-ins are
limited so that they cannot lock anyone out, and two-factor secrets are stored encrypted."""

import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.cache import cache

from pledge_portal.core.client import client_address

from . import crypto


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Failed sign-ins (``ACCOUNT_RATE_LIMITS["login_failed"]``) are counted per address, and per address and
    account: someone guessing one person's password is stopped at their own address, and the owner still
    signs in from theirs. Failures across every address are not refused (that would let anyone who knows an
    address keep its owner out); past ``SIGN_IN_FAILURES_ALERT`` in an hour the owner is emailed instead."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        return client_address(request)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth's per-"key" limit counts under this key, which is the account alone by default: so failures
        # from anywhere would refuse even the right password. The address makes it per address and account.
        return f"{self.get_client_ip(request)}:{super()._get_login_attempts_cache_key(request, **credentials)}"

    def authentication_failed(self, request, **credentials) -> None:
        email = (credentials.get("email") or "").strip().lower()
        if not email:
            return
        window = 60 * 60
        key = "sign-in-failures:" + hashlib.sha256(email.encode()).hexdigest()
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            return
        # Once per window, when the count reaches the threshold.
        if failures >= settings.SIGN_IN_FAILURES_ALERT and cache.add(f"{key}:told", True, timeout=window):
            from .tasks import tell_owner_of_failed_sign_ins

            tell_owner_of_failed_sign_ins.delay(email, failures)


class EncryptedSecretsMFAAdapter(DefaultMFAAdapter):
    """allauth.mfa stores each TOTP key and recovery-code seed through these hooks: encrypted with the keys in
    ``TWO_FACTOR_ENCRYPTION_KEYS`` (``pledge_portal.accounts.crypto``)."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
