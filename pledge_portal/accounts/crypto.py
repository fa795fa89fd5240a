"""Encrypting the secrets that two-factor sign-in keeps (TOTP keys, recovery-code seeds) with keys from the
environment, so that a copy of the database alone cannot produce anyone's codes.

``TWO_FACTOR_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys: the first encrypts, any of them
decrypts. To rotate, put a new key first, run ``manage.py rotate_two_factor_keys`` (which re-encrypts every
secret with it), then drop the old key.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TWO_FACTOR_ENCRYPTION_KEYS must name at least one key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TWO_FACTOR_ENCRYPTION_KEYS holds a key that is not a Fernet key (make one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).'
        ) from exc


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.TWO_FACTOR_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return _keys().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The secret, or ``InvalidToken`` if no configured key opens it (or it was never encrypted)."""
    return _keys().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same secret encrypted with the first key (for rotation)."""
    return _keys().rotate(token.encode()).decode()


def is_encrypted(value: str) -> bool:
    try:
        decrypt(value)
    except InvalidToken:
        return False
    return True


def transform_two_factor_data(data: dict, change) -> dict:
    """``data`` of an allauth.mfa ``Authenticator`` with ``change`` applied to each secret in it: a TOTP key
    (``secret``), a recovery-code seed (``seed``) and recovery codes carried over from elsewhere."""
    data = dict(data)
    for field in ("secret", "seed"):
        if isinstance(data.get(field), str):
            data[field] = change(data[field])
    if isinstance(data.get("migrated_codes"), list):
        data["migrated_codes"] = [change(code) for code in data["migrated_codes"]]
    return data
