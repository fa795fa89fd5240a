"""API authentication by token: ``Authorization: Token <key>``.

Only the key's SHA-256 hash is stored (``ApiToken``). A key answers only while it is neither expired nor
revoked, its user is active, and, for users whose roles need two-factor sign-in, while two-factor is set up:
a key may never do what the portal's own sign-in would refuse. It is DRF's first authentication class, so a
call without credentials is answered 401 with ``WWW-Authenticate`` rather than 403.
"""

import hmac
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiToken

KEYWORD = "Token"
# A key's last use is written at most this often, so a busy client does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the header as 'Authorization: Token <key>'.")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("This API token is not valid.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str):
        digest = ApiToken.hash_key(key)
        token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
        # The look-up is by hash, so timing says nothing about the key; compare in constant time all the same.
        if token is None or not hmac.compare_digest(token.key_hash, digest):
            raise exceptions.AuthenticationFailed("This API token is not valid.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed(
                "This API token has expired or was revoked. Create a new one on your account page."
            )
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is switched off.")
        if user.needs_two_factor and not user.has_two_factor:
            raise exceptions.AuthenticationFailed(
                "Your role needs two-factor sign-in: set it up in the portal, then create a new API token."
            )
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How ``/api/docs/`` describes the token: an ``Authorization`` header with the ``Token`` prefix."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=KEYWORD)
