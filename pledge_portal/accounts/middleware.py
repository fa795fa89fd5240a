"""Two-factor sign-in is required for approvers, regional analysts and platform admins."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths a user must still reach while setting up two-factor: the set-up itself, signing out, assets.
_EXEMPT_URL_NAMES = ("mfa_activate_totp", "mfa_reauthenticate", "account_logout", "account_reauthenticate", "healthz")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def exempt_paths(self) -> tuple[str, ...]:
        if self._exempt is None:
            self._exempt = tuple(reverse(name) for name in _EXEMPT_URL_NAMES) + ("/static/",)
        return self._exempt

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.needs_two_factor
            and not request.path.startswith(self.exempt_paths())
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "Set up two-factor sign-in in the portal first."}, status=403)
            messages.info(request, "Your role needs two-factor sign-in. Set up an authenticator app to continue.")
            return redirect("mfa_activate_totp")
        return self.get_response(request)
