"""Headers every response needs that no single view should have to remember."""

from django.utils.cache import patch_cache_control


class PrivateResponsesMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user (pages, API answers made
    with a session or a token) and on every file download, so that no shared cache or browser history keeps
    what only that person may see. Public pages (the rate check, the caps) stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)  # DRF sets the token's user here too
        download = response.get("Content-Disposition", "").startswith("attachment")
        if download or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
