"""allauth adapters: the portal has no self-sign-up (people join by invitation only), and two-factor secrets
are stored encrypted."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from . import crypto


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False


class EncryptedSecretsMFAAdapter(DefaultMFAAdapter):
    """allauth.mfa stores each TOTP key and recovery-code seed through these hooks: encrypted with the keys in
    ``TWO_FACTOR_ENCRYPTION_KEYS`` (``pledge_portal.accounts.crypto``)."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
